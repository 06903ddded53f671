const fastify = require('fastify');
const util = require('./util');
fastify().listen({ port: 8080 });
