/**
 * Folders dropped anywhere on the window: a visible drop target while something is dragged over it, and every drop
 * kept from navigating the window (the main process blocks navigation too). The desktop bridge turns dropped
 * File objects into paths (webUtils.getPathForFile in the preload).
 */
import { onBeforeUnmount, onMounted, ref } from 'vue';
import { desktopBridge } from '../api/native.js';
import { planDrop, type DropPlan, type DroppedItem } from '../util/drop.js';

function hasFiles(event: DragEvent): boolean {
  return Array.from(event.dataTransfer?.types ?? []).includes('Files');
}

/** Reads a drop's items: kind from the entry API (Chromium has it), path from the bridge. */
export function droppedItems(transfer: DataTransfer): DroppedItem[] {
  const files = Array.from(transfer.files);
  const items = Array.from(transfer.items ?? []).filter((i) => i.kind === 'file');
  const bridge = desktopBridge();
  const paths = bridge ? files.map((f) => bridge.pathsForDropped([f])[0]) : [];
  return files.map((file, i) => {
    const entry = items[i]?.webkitGetAsEntry?.() ?? null;
    const kind: DroppedItem['kind'] = entry ? (entry.isDirectory ? 'folder' : 'file') : 'unknown';
    const path = paths[i];
    return { name: file.name, kind, ...(path ? { path } : {}) };
  });
}

export function useFolderDrop(onDrop: (plan: DropPlan) => void) {
  const dragging = ref(false);
  let depth = 0;

  const enter = (event: DragEvent) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth++;
    dragging.value = true;
  };
  const over = (event: DragEvent) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    dragging.value = true;
  };
  const leave = (event: DragEvent) => {
    if (!hasFiles(event)) return;
    depth = Math.max(0, depth - 1);
    // Leaving the window (no related target) or the last nested element.
    if (depth === 0 || event.relatedTarget === null) {
      depth = 0;
      dragging.value = false;
    }
  };
  const drop = (event: DragEvent) => {
    event.preventDefault();
    depth = 0;
    dragging.value = false;
    if (!event.dataTransfer || !event.dataTransfer.files.length) return;
    onDrop(planDrop(droppedItems(event.dataTransfer)));
  };

  onMounted(() => {
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragover', over);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
  });
  onBeforeUnmount(() => {
    window.removeEventListener('dragenter', enter);
    window.removeEventListener('dragover', over);
    window.removeEventListener('dragleave', leave);
    window.removeEventListener('drop', drop);
  });

  return { dragging, handlers: { enter, over, leave, drop } };
}
