/**
 * Known start-up mistakes, recognised in a worker's last output, each with the fix in one sentence (pure). Shown
 * with the crash on the console, the error page, the app's problem (CLI, control API, dashboard).
 */

const HINTS: readonly { test: RegExp; hint: string }[] = [
  {
    // node refuses a pipe path (or NaN) as a port: Fastify's listen({ port: process.env.PORT }), listen(Number(PORT)).
    test: /ERR_SOCKET_BAD_PORT|options\.port should be|Port should be >= 0 and < 65536/,
    hint:
      'process.env.PORT is a pipe path under Berth, not a port number: pass it to listen() as it is (listen(process.env.PORT), ' +
      "Fastify: listen({ path: process.env.PORT })), turn redirectListen back on, or set portMode: tcp to get a number.",
  },
  {
    test: /EADDRINUSE/,
    hint:
      'The app listens on a fixed port that is already taken (by another worker of the same app, or another program): ' +
      'listen on process.env.PORT, which is different for every worker.',
  },
];

/** The hint for the first known mistake in `output`, if any. */
export function startupHint(output: string): string | undefined {
  return HINTS.find((h) => h.test.test(output))?.hint;
}

/** The problem of a worker that listened somewhere else than process.env.PORT and was not redirected. */
export function listenedElsewhereProblem(address: string, redirectListen: boolean): { title: string; detail: string } {
  return {
    title: `The app listens on ${address}, not on process.env.PORT, so Berth cannot reach it.`,
    detail: redirectListen
      ? `Its first HTTP server already listens on process.env.PORT or is not a plain HTTP server; make the server that answers requests call listen(process.env.PORT).`
      : `Make the app call listen(process.env.PORT), or set redirectListen: true so Berth binds the app's first HTTP server to process.env.PORT by itself.`,
  };
}

/** What to do about an app that crashed on every start: the output is shown below it, or there is none. */
export function crashLoopAdvice(output: string, exit: { code: number | null; signal: string | null }): string {
  const hint = startupHint(output);
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const said = output.trim()
    ? 'Fix the error shown below, then change a file or restart the app.'
    : `Its last worker ${how} and wrote nothing to stderr or stdout: run the app by hand in its folder to see why, then change a file or restart the app.`;
  return hint ? `${said} Hint: ${hint}` : said;
}
