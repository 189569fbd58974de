const http = require('http');

const port = Number(process.env.PORT) || 3000;

http.createServer((req, res) => {
  res.end('hello from port ' + port);
}).listen(port, () => console.log(`listening on http://localhost:${port}`));
