// Benchmark app "hello": the smallest useful response, so the figures measure the hosting, not the app.
// Written like a user's iisnode app: CommonJS, listens on process.env.PORT (a pipe or unix socket under Berth,
// a TCP port number when the benchmark runs it with plain node or under node's cluster module).
const http = require('http');

http
  .createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('Hello, world');
  })
  .listen(process.env.PORT);
