/**
 * Words that depend on the system the engine runs on (from `engine.info`'s platform, not a constant): the name of the
 * system, its file manager, and what a folder path looks like there.
 */
export interface PlatformWords {
  /** "Windows", "macOS", or "the system". */
  system: string;
  /** "Explorer", "Finder", or "the file manager". */
  fileManager: string;
  /** A folder path as the user would type it. */
  folderExample: string;
}

export function platformWords(platform: string | undefined): PlatformWords {
  if (platform === 'win32') return { system: 'Windows', fileManager: 'Explorer', folderExample: 'C:\\Users\\me\\projects\\shop' };
  if (platform === 'darwin') return { system: 'macOS', fileManager: 'Finder', folderExample: '/Users/me/projects/shop' };
  return { system: 'the system', fileManager: 'the file manager', folderExample: '/home/me/projects/shop' };
}
