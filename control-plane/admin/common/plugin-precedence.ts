/**
 * Kong's precedence for one plugin name on one route, consumer scopes aside: the route's
 * instance, else its service's, else the global one. The MCP views, pinning and the plugin
 * requirement check all ask it this one way.
 */
type Doc = Record<string, any>;

export function governingPlugin<T extends Doc>(plugins: readonly T[], name: string, route: Doc): T | null {
  const of = plugins.filter((p) => p.name === name && !p.consumer && !p.consumer_group);
  return (
    of.find((p) => p.route?.id === route.id) ??
    of.find((p) => !p.route && route.service && p.service?.id === route.service.id) ??
    of.find((p) => !p.route && !p.service) ??
    null
  );
}
