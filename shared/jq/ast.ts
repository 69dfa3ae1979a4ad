/** The jq syntax tree the parser produces and the compiler consumes. */
export type Ast =
  | { kind: 'identity' }
  | { kind: 'recurse' }
  | { kind: 'literal'; value: unknown }
  | { kind: 'string'; parts: (string | Ast)[]; format: string | null }
  | { kind: 'format'; name: string }
  // `opt`: a `?` right after the suffix suppresses that operation's own errors only.
  | { kind: 'field'; target: Ast; name: string; opt?: boolean }
  | { kind: 'index'; target: Ast; index: Ast; opt?: boolean }
  | { kind: 'slice'; target: Ast; from: Ast | null; to: Ast | null; opt?: boolean }
  | { kind: 'iterate'; target: Ast; opt?: boolean }
  | { kind: 'try'; body: Ast; handler: Ast | null }
  | { kind: 'array'; body: Ast | null }
  | { kind: 'object'; entries: { key: Ast; value: Ast | null; keyName: string | null }[] }
  | { kind: 'neg'; body: Ast }
  | { kind: 'pipe'; left: Ast; right: Ast }
  | { kind: 'comma'; left: Ast; right: Ast }
  | { kind: 'binary'; op: BinaryOp; left: Ast; right: Ast }
  | { kind: 'and' | 'or' | 'alt'; left: Ast; right: Ast }
  | { kind: 'assign'; op: AssignOp; left: Ast; right: Ast }
  | { kind: 'if'; cond: Ast; then: Ast; else: Ast | null }
  | { kind: 'reduce'; source: Ast; name: string; init: Ast; update: Ast }
  | { kind: 'as'; source: Ast; name: string; body: Ast }
  | { kind: 'var'; name: string }
  | { kind: 'call'; name: string; args: Ast[] };

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '==' | '!=' | '<' | '<=' | '>' | '>=';
export type AssignOp = '=' | '|=' | '+=' | '-=' | '*=' | '/=' | '%=' | '//=';
