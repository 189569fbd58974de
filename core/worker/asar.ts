/**
 * In the installed desktop app the engine's code is inside `app.asar`, an archive only Electron can read. Workers
 * run under a system `node`, so the bootstrap they preload must be a real file: electron-builder unpacks it to
 * `app.asar.unpacked` (build/electron-builder.yml, asarUnpack), and this maps the path there (pure).
 */
export function outsideAsar(file: string): string {
  return file.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
}
