/**
 * Names as a lenient MCP server reads them: two names with one skeleton are one name to it. The
 * data plane compares methods and tool names this way; the control plane's MCP view names a
 * virtual server's tools by the same rule.
 */
const PLAIN = /^[a-z0-9_.-]*$/;

/**
 * What a lenient matcher would reduce a name to: compatibility-normalised, lower case, without
 * whitespace, control, format (zero-width) or replacement characters, slashes collapsed and
 * trimmed. `-`, `_` and `.` are dropped too when `separators` is set (tool names).
 */
export function skeleton(name: string, separators = false): string {
  // Lower-case ASCII letters, digits and separators are their own skeleton (the common case).
  if (PLAIN.test(name)) return separators ? name.replace(/[-_.]/g, '') : name;
  let s = name
    .replace(/[\uD800-\uDFFF]/g, '')
    .normalize('NFKC')
    .toLowerCase();
  s = s.replace(/[\s\p{Cc}\p{Cf}\p{Zs}\p{Zl}\p{Zp}\uFFFD]/gu, '');
  s = s.replace(/[/\\]+/g, '/').replace(/^\/|\/$/g, '');
  if (separators) s = s.replace(/[-_.]/g, '');
  return s;
}
