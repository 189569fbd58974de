/**
 * "Add folder": the native picker in the desktop app (several folders at once); in a browser, the dialog where a
 * path is typed (a page cannot see the file system).
 */
import { desktopBridge } from '../api/native.js';
import { useApps } from '../stores/apps.js';
import { useUi } from '../stores/ui.js';
import { useToasts } from '../stores/toasts.js';
import { errorMessage } from '../api/control-client.js';

export function useAddFolders() {
  const apps = useApps();
  const ui = useUi();

  async function addFolders(): Promise<void> {
    const bridge = desktopBridge();
    if (!bridge) {
      ui.addDialogOpen = true;
      return;
    }
    try {
      const folders = await bridge.pickFolders();
      if (folders.length) await apps.add(folders);
    } catch (error) {
      useToasts().error('Could not open the folder picker', errorMessage(error));
    }
  }

  return { addFolders };
}
