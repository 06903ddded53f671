# A split of apps/node-bcrypt whose builder installs with --ignore-scripts (a common hardening
# step): bcrypt's install script, which compiles its native addon with node-gyp, never runs, so
# the runtime stage receives bcrypt's JavaScript without lib/binding/napi-v3/bcrypt_lib.node.
FROM node:18 AS builder

WORKDIR /usr/src/app

COPY package*.json ./
RUN npm ci --ignore-scripts

COPY . .

FROM node:18-slim
WORKDIR /usr/src/app
COPY --chown=node:node --from=builder /usr/src/app /usr/src/app
EXPOSE 3000
RUN chown node:node /usr/src/app
USER node
CMD ["node", "server.js"]
