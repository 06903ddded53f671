const express = require('express');
const app = express();
app.get('/', (_req, res) => res.send('orders'));
app.listen(Number(process.env.PORT || 8080));
