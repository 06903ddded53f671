module.exports = function routes(req, res, next) { next(); };
