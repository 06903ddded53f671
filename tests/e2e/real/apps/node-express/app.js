const express = require('express')
const app = express()
const port = 3000

app.get('/', (req, res) => {
  res.send('Hello World!')
})

// What really runs: the interpreter and the framework the image resolved.
app.get('/versions', (req, res) => {
  res.json({
    node: process.version,
    express: require('express/package.json').version,
    cwd: process.cwd()
  })
})

app.listen(port, () => {
  console.log(`Example app listening on port ${port}`)
})
