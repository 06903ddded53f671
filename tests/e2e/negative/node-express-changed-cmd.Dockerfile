# node-express, rewritten wrongly: CMD runs another script.
FROM node:20
WORKDIR /app
EXPOSE 3000
RUN apt-get update && apt-get install -y imagemagick && rm -rf /var/lib/apt/lists/*
COPY . .
ENV NODE_ENV=production
RUN npm ci
CMD ["node", "routes.js"]
