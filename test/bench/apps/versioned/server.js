// Benchmark app "versioned": the hello app with a version string in its answer. The upgrade scenarios copy this
// folder and rewrite the VERSION line below (a real write of a watched file, as an editor or a deployment does);
// Berth then recycles the app, and the answer shows which version served each request.
const http = require('http');

const VERSION = 'v0';

http
  .createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`Hello from ${VERSION}`);
  })
  .listen(process.env.PORT);
