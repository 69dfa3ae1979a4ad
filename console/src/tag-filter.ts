import { computed, watchEffect } from 'vue';
import { useRoute, useRouter } from 'vue-router';

/**
 * A list page's tag filter, kept in the page URL (`?tags=`, so a filtered list can be linked)
 * and sent as the Admin API's own `tags` query (`a,b`: all of them; `a/b`: any of them). The
 * entity packages build their axios instance from `config.axiosRequestConfig`, so the filter
 * rides on every request the list makes; the page re-mounts the list when it changes and keys
 * its `cache-identifier` by it (the table caches rows by that identifier, not by the query).
 */
export function useTagFilter(config: { axiosRequestConfig?: unknown }) {
  const route = useRoute();
  const router = useRouter();
  const tags = computed(() => (typeof route.query.tags === 'string' ? route.query.tags : ''));
  const setTags = (value: string) => {
    const next = value.trim();
    if (next === tags.value) return;
    void router.replace({ query: { ...route.query, tags: next || undefined } });
  };
  watchEffect(() => {
    config.axiosRequestConfig = tags.value ? { params: { tags: tags.value } } : undefined;
  });
  return { tags, setTags };
}
