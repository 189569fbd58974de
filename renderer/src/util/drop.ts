/**
 * What to do with a drop (pure): folders with a known path are added; files get a "not a folder" message; folders
 * without a path (a plain browser cannot see paths) need their path typed.
 */
export interface DroppedItem {
  name: string;
  /** From the drag data: a directory entry, a file entry, or unknown (no entry API). */
  kind: 'folder' | 'file' | 'unknown';
  /** The full path, when the desktop bridge could tell it. */
  path?: string;
}

export interface DropPlan {
  /** Paths to give the engine (unknown kinds too: the engine says when one is not a folder). */
  add: string[];
  /** Names of dropped files that are not folders. */
  notFolders: string[];
  /** Folder names whose path this page cannot know. */
  needPath: string[];
}

export function planDrop(items: readonly DroppedItem[]): DropPlan {
  const plan: DropPlan = { add: [], notFolders: [], needPath: [] };
  for (const item of items) {
    if (item.kind === 'file') plan.notFolders.push(item.name);
    else if (item.path) plan.add.push(item.path);
    else plan.needPath.push(item.name);
  }
  return plan;
}

/** The sentence for dropped files that are not folders. */
export function notFolderMessage(names: readonly string[]): string {
  const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  return `${list} ${names.length === 1 ? 'is a file' : 'are files'}, not ${names.length === 1 ? 'a folder' : 'folders'}. Drop the folder that holds the app (the one with package.json or server.js).`;
}
