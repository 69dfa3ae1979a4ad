import { onMounted, onUnmounted } from 'vue';

/** Runs `load` when the page mounts and every `ms` while it stays mounted (the live pages). */
export function usePolling(load: () => unknown, ms: number, enabled: () => boolean = () => true): void {
  let timer: ReturnType<typeof setInterval> | undefined;
  onMounted(() => {
    void load();
    timer = setInterval(() => {
      if (enabled()) void load();
    }, ms);
  });
  onUnmounted(() => clearInterval(timer));
}

/** The message an Admin API failure shows: Kong's `message` when it sent one. */
export function failureOf(e: any): string {
  return e?.response?.data?.message ?? e?.message ?? String(e);
}
