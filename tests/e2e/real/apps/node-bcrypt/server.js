'use strict';

// bcrypt is a native addon: `npm install` builds lib/binding/napi-v3/bcrypt_lib.node with
// node-gyp (its prebuilt binaries are on GitHub, out of reach here, so it falls back to a build).
const bcrypt = require('bcrypt');
const express = require('express');

const PORT = process.env.PORT || 3000;
const app = express();

// A fixed salt keeps the answer the same from one start to the next.
const SALT = '$2b$10$abcdefghijklmnopqrstuu';

app.get('/', (req, res) => {
  const hash = bcrypt.hashSync('correct horse battery staple', SALT);
  res.json({
    hash,
    matches: bcrypt.compareSync('correct horse battery staple', hash),
    rejects: !bcrypt.compareSync('Tr0ub4dor&3', hash),
  });
});

app.get('/healthz', (req, res) => res.type('text').send('ok\n'));

app.listen(PORT, () => console.log(`listening on ${PORT}`));
