/** Short messages after an action: what happened, or what went wrong and what to do. Errors stay until dismissed. */
import { defineStore } from 'pinia';
import { ref } from 'vue';

export type ToastKind = 'info' | 'success' | 'error';

export interface Toast {
  id: number;
  kind: ToastKind;
  title: string;
  detail?: string;
}

const INFO_MS = 6000;

export const useToasts = defineStore('toasts', () => {
  const toasts = ref<Toast[]>([]);
  let nextId = 1;

  function show(kind: ToastKind, title: string, detail?: string): number {
    const id = nextId++;
    toasts.value.push({ id, kind, title, ...(detail ? { detail } : {}) });
    // Keep the stack short: the oldest go first.
    if (toasts.value.length > 5) toasts.value.splice(0, toasts.value.length - 5);
    if (kind !== 'error') setTimeout(() => dismiss(id), INFO_MS);
    return id;
  }

  function dismiss(id: number): void {
    toasts.value = toasts.value.filter((t) => t.id !== id);
  }

  return { toasts, show, dismiss, info: (t: string, d?: string) => show('info', t, d), success: (t: string, d?: string) => show('success', t, d), error: (t: string, d?: string) => show('error', t, d) };
});
