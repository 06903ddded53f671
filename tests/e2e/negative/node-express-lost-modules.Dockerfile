# node-express, rewritten wrongly: a runtime stage without node_modules.
FROM node:20 AS deps
WORKDIR /app
COPY . .
ENV NODE_ENV=production
RUN npm ci

FROM node:20
RUN apt-get update && apt-get install -y imagemagick && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=deps /app/server.js /app/routes.js /app/package.json /app/package-lock.json ./
ENV NODE_ENV=production
EXPOSE 3000
CMD ["node", "server.js"]
