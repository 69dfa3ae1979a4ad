/**
 * Recursive-descent parser for the jq language subset Tollgate runs, following jq's grammar
 * and operator precedence (`|` < `,` < `//` < assignments < `or` < `and` < comparisons <
 * `+ -` < `* / %` < postfix). Anything outside the subset is a JqSyntaxError, so configs
 * using it are refused when they are written.
 */
import type { AssignOp, Ast, BinaryOp } from './ast';

export class JqSyntaxError extends Error {}

type Token =
  | { t: 'num'; v: number }
  | { t: 'ident'; v: string }
  | { t: 'field'; v: string }
  | { t: 'var'; v: string }
  | { t: 'format'; v: string }
  | { t: 'op'; v: string }
  | { t: 'str' }
  | { t: 'eof' };

const KEYWORDS = new Set([
  'def',
  'if',
  'then',
  'elif',
  'else',
  'end',
  'as',
  'reduce',
  'foreach',
  'try',
  'catch',
  'label',
  'import',
  'include',
  'and',
  'or',
  '__loc__',
]);

// Longest first, so `|=` wins over `|` and `//=` over `//`.
const OPERATORS = [
  '?//',
  '//=',
  '|=',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '==',
  '!=',
  '<=',
  '>=',
  '//',
  '..',
  '|',
  ',',
  '=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '.',
  '[',
  ']',
  '(',
  ')',
  '{',
  '}',
  ':',
  ';',
  '?',
];

const ASSIGN_OPS = new Set(['=', '|=', '+=', '-=', '*=', '/=', '%=', '//=']);
const COMPARE_OPS = new Set(['==', '!=', '<', '<=', '>', '>=']);
const IDENT_START = /[A-Za-z_]/;
const IDENT_CHAR = /[A-Za-z0-9_]/;
const NUMBER = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/;

export function parse(source: string): Ast {
  const p = new Parser(source);
  const ast = p.pipe();
  p.expectEnd();
  return ast;
}

class Parser {
  private pos = 0;
  private peeked: { token: Token; end: number } | null = null;

  constructor(private readonly src: string) {}

  fail(message: string): never {
    throw new JqSyntaxError(`${message} at position ${this.pos}`);
  }

  private skipSpace(): void {
    const s = this.src;
    while (this.pos < s.length) {
      const c = s[this.pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.pos++;
      else if (c === '#') while (this.pos < s.length && s[this.pos] !== '\n') this.pos++;
      else break;
    }
  }

  private lex(): { token: Token; end: number } {
    this.skipSpace();
    const s = this.src;
    const at = this.pos;
    if (at >= s.length) return { token: { t: 'eof' }, end: at };
    const c = s[at];
    if (c === '"') return { token: { t: 'str' }, end: at };
    const num = NUMBER.exec(s.slice(at, at + 64));
    if (num && (c !== '.' || /[0-9]/.test(s[at + 1] ?? ''))) {
      return { token: { t: 'num', v: Number(num[0]) }, end: at + num[0].length };
    }
    const word = (from: number) => {
      let e = from;
      while (e < s.length && IDENT_CHAR.test(s[e])) e++;
      if (s.startsWith('::', e)) this.fail('modules are not supported');
      return e;
    };
    if (c === '.' && IDENT_START.test(s[at + 1] ?? '')) {
      const e = word(at + 1);
      return { token: { t: 'field', v: s.slice(at + 1, e) }, end: e };
    }
    if (c === '$' && IDENT_START.test(s[at + 1] ?? '')) {
      const e = word(at + 1);
      return { token: { t: 'var', v: s.slice(at + 1, e) }, end: e };
    }
    if (c === '@' && IDENT_START.test(s[at + 1] ?? '')) {
      const e = word(at + 1);
      return { token: { t: 'format', v: s.slice(at + 1, e) }, end: e };
    }
    if (IDENT_START.test(c)) {
      const e = word(at);
      return { token: { t: 'ident', v: s.slice(at, e) }, end: e };
    }
    for (const op of OPERATORS)
      if (s.startsWith(op, at)) return { token: { t: 'op', v: op }, end: at + op.length };
    this.fail(`unexpected character '${c}'`);
  }

  peek(): Token {
    if (!this.peeked) this.peeked = this.lex();
    return this.peeked.token;
  }

  next(): Token {
    const tok = this.peek();
    this.pos = this.peeked!.end;
    this.peeked = null;
    return tok;
  }

  private isOp(v: string): boolean {
    const t = this.peek();
    return t.t === 'op' && t.v === v;
  }

  private isWord(v: string): boolean {
    const t = this.peek();
    return t.t === 'ident' && t.v === v;
  }

  private expectOp(v: string): void {
    if (!this.isOp(v)) this.fail(`expected '${v}'`);
    this.next();
  }

  private expectWord(v: string): void {
    if (!this.isWord(v)) this.fail(`expected '${v}'`);
    this.next();
  }

  expectEnd(): void {
    if (this.peek().t !== 'eof') this.fail('unexpected input');
  }

  // Exp '|' Exp (right associative), with `Term as $x | body` handled in postfix().
  pipe(): Ast {
    const left = this.comma();
    if (this.isOp('|')) {
      this.next();
      return { kind: 'pipe', left, right: this.pipe() };
    }
    return left;
  }

  private comma(): Ast {
    let left = this.alternative();
    while (this.isOp(',')) {
      this.next();
      left = { kind: 'comma', left, right: this.alternative() };
    }
    return left;
  }

  private alternative(): Ast {
    const left = this.assignment();
    if (this.isOp('//')) {
      this.next();
      return { kind: 'alt', left, right: this.alternative() };
    }
    if (this.isOp('?//')) this.fail('destructuring alternatives are not supported');
    return left;
  }

  private assignment(): Ast {
    const left = this.or();
    const t = this.peek();
    if (t.t === 'op' && ASSIGN_OPS.has(t.v)) {
      this.next();
      // Assignments bind tighter than `//`: `.a = 1 // 2` is `(.a = 1) // 2`.
      const right = this.or();
      const after = this.peek();
      if (after.t === 'op' && ASSIGN_OPS.has(after.v)) this.fail('assignments do not chain');
      return { kind: 'assign', op: t.v as AssignOp, left, right };
    }
    return left;
  }

  private or(): Ast {
    let left = this.and();
    while (this.isWord('or')) {
      this.next();
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): Ast {
    let left = this.comparison();
    while (this.isWord('and')) {
      this.next();
      left = { kind: 'and', left, right: this.comparison() };
    }
    return left;
  }

  private comparison(): Ast {
    const left = this.additive();
    const t = this.peek();
    if (t.t === 'op' && COMPARE_OPS.has(t.v)) {
      this.next();
      const right = this.additive();
      const after = this.peek();
      if (after.t === 'op' && COMPARE_OPS.has(after.v)) this.fail('comparisons do not chain');
      return { kind: 'binary', op: t.v as BinaryOp, left, right };
    }
    return left;
  }

  private additive(): Ast {
    let left = this.multiplicative();
    for (;;) {
      const t = this.peek();
      if (t.t !== 'op' || (t.v !== '+' && t.v !== '-')) return left;
      this.next();
      left = { kind: 'binary', op: t.v, left, right: this.multiplicative() };
    }
  }

  private multiplicative(): Ast {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.t !== 'op' || (t.v !== '*' && t.v !== '/' && t.v !== '%')) return left;
      this.next();
      left = { kind: 'binary', op: t.v, left, right: this.unary() };
    }
  }

  private unary(): Ast {
    if (this.isOp('-')) {
      this.next();
      return { kind: 'neg', body: this.unary() };
    }
    return this.postfix();
  }

  /** A term with its suffixes, plus the forms that bind a variable over the rest. */
  private postfix(): Ast {
    const term = this.postfixNoAs();
    if (this.isWord('as')) {
      this.next();
      const name = this.variableName();
      this.expectOp('|');
      return { kind: 'as', source: term, name, body: this.pipe() };
    }
    return term;
  }

  private variableName(): string {
    const t = this.next();
    if (t.t !== 'var') this.fail('destructuring patterns are not supported; expected $name');
    return t.v;
  }

  private bracketSuffix(target: Ast): Ast {
    this.expectOp('[');
    if (this.isOp(']')) {
      this.next();
      return { kind: 'iterate', target };
    }
    if (this.isOp(':')) {
      this.next();
      const to = this.pipe();
      this.expectOp(']');
      return { kind: 'slice', target, from: null, to };
    }
    const index = this.pipe();
    if (this.isOp(':')) {
      this.next();
      const to = this.isOp(']') ? null : this.pipe();
      this.expectOp(']');
      return { kind: 'slice', target, from: index, to };
    }
    this.expectOp(']');
    return { kind: 'index', target, index };
  }

  private primary(): Ast {
    const t = this.peek();
    switch (t.t) {
      case 'num':
        this.next();
        return { kind: 'literal', value: t.v };
      case 'str':
        return this.string(null);
      case 'field':
        this.next();
        return { kind: 'field', target: { kind: 'identity' }, name: t.v };
      case 'var':
        this.next();
        return { kind: 'var', name: t.v };
      case 'format':
        this.next();
        if (this.peek().t === 'str') return this.string(t.v);
        return { kind: 'format', name: t.v };
      case 'ident':
        return this.word(t.v);
      case 'op':
        return this.punctuation(t.v);
      default:
        this.fail('unexpected end of filter');
    }
  }

  private punctuation(op: string): Ast {
    switch (op) {
      case '.': {
        this.next();
        if (this.peek().t === 'str') {
          return { kind: 'field', target: { kind: 'identity' }, name: this.plainString() };
        }
        return { kind: 'identity' };
      }
      case '..':
        this.next();
        return { kind: 'recurse' };
      case '(': {
        this.next();
        const body = this.pipe();
        this.expectOp(')');
        return body;
      }
      case '[': {
        this.next();
        if (this.isOp(']')) {
          this.next();
          return { kind: 'array', body: null };
        }
        const body = this.pipe();
        this.expectOp(']');
        return { kind: 'array', body };
      }
      case '{':
        return this.object();
      default:
        this.fail(`unexpected '${op}'`);
    }
  }

  private word(name: string): Ast {
    switch (name) {
      case 'true':
      case 'false':
      case 'null':
        this.next();
        return { kind: 'literal', value: name === 'true' ? true : name === 'false' ? false : null };
      case 'if':
        return this.ifExpression();
      case 'try': {
        this.next();
        const body = this.postfixOperand();
        if (this.isWord('catch')) {
          this.next();
          return { kind: 'try', body, handler: this.postfixOperand() };
        }
        return { kind: 'try', body, handler: null };
      }
      case 'reduce': {
        this.next();
        const source = this.postfixNoAs();
        this.expectWord('as');
        const varName = this.variableName();
        this.expectOp('(');
        const init = this.pipe();
        this.expectOp(';');
        const update = this.pipe();
        this.expectOp(')');
        return { kind: 'reduce', source, name: varName, init, update };
      }
    }
    if (KEYWORDS.has(name)) this.fail(`'${name}' is not supported`);
    this.next();
    const args: Ast[] = [];
    if (this.isOp('(')) {
      this.next();
      args.push(this.pipe());
      while (this.isOp(';')) {
        this.next();
        args.push(this.pipe());
      }
      this.expectOp(')');
    }
    return { kind: 'call', name, args };
  }

  /** The operand of `try`/`catch`: binds tighter than any binary operator. */
  private postfixOperand(): Ast {
    if (this.isOp('-')) {
      this.next();
      return { kind: 'neg', body: this.postfixOperand() };
    }
    return this.postfixNoAs();
  }

  private postfixNoAs(): Ast {
    const first = this.peek();
    let term = this.primary();
    // A `?` right after a suffix makes only that suffix optional (jq's INDEX_OPT/EACH_OPT);
    // after anything else (a parenthesised expression, a call) it is `try` around the term.
    let suffix = first.t === 'field' || (first.t === 'op' && first.v === '.');
    for (;;) {
      const t = this.peek();
      if (t.t === 'field') {
        this.next();
        term = { kind: 'field', target: term, name: t.v };
        suffix = true;
      } else if (t.t === 'op' && t.v === '.') {
        this.next();
        if (this.peek().t !== 'str') this.fail("expected a field name after '.'");
        term = { kind: 'field', target: term, name: this.plainString() };
        suffix = true;
      } else if (t.t === 'op' && t.v === '[') {
        term = this.bracketSuffix(term);
        suffix = true;
      } else if (t.t === 'op' && t.v === '?') {
        this.next();
        if (
          suffix &&
          (term.kind === 'field' ||
            term.kind === 'index' ||
            term.kind === 'slice' ||
            term.kind === 'iterate') &&
          !term.opt
        )
          term = { ...term, opt: true };
        else term = { kind: 'try', body: term, handler: null };
        suffix = false;
      } else break;
    }
    return term;
  }

  private ifExpression(): Ast {
    this.next();
    const cond = this.pipe();
    this.expectWord('then');
    const then = this.pipe();
    if (this.isWord('elif')) {
      // `elif` is an `if` nested in the else branch, sharing the one `end`.
      const nested = this.ifExpression();
      return { kind: 'if', cond, then, else: nested };
    }
    let otherwise: Ast | null = null;
    if (this.isWord('else')) {
      this.next();
      otherwise = this.pipe();
    }
    this.expectWord('end');
    return { kind: 'if', cond, then, else: otherwise };
  }

  private object(): Ast {
    this.expectOp('{');
    const entries: { key: Ast; value: Ast | null; keyName: string | null }[] = [];
    if (this.isOp('}')) {
      this.next();
      return { kind: 'object', entries };
    }
    for (;;) {
      const t = this.peek();
      let key: Ast;
      let keyName: string | null = null;
      if (t.t === 'ident') {
        this.next();
        key = { kind: 'literal', value: t.v };
        keyName = t.v;
      } else if (t.t === 'var') {
        this.next();
        if (t.v === '__loc__') this.fail('$__loc__ is not supported');
        key = { kind: 'literal', value: t.v };
        if (!this.isOp(':')) {
          entries.push({ key, value: { kind: 'var', name: t.v }, keyName: null });
          if (this.objectSeparator()) break;
          continue;
        }
      } else if (t.t === 'str') {
        key = this.string(null);
        if (key.kind === 'string' && key.parts.length === 1 && typeof key.parts[0] === 'string')
          keyName = key.parts[0];
        else if (key.kind === 'string' && key.parts.length === 0) keyName = '';
      } else if (t.t === 'format') {
        this.next();
        if (this.peek().t !== 'str') this.fail('expected a string after a format in an object key');
        key = this.string(t.v);
      } else if (t.t === 'num') {
        this.fail('object keys must be strings; use ("key") or "key"');
      } else if (t.t === 'op' && t.v === '(') {
        this.next();
        key = this.pipe();
        this.expectOp(')');
        this.expectOp(':');
        entries.push({ key, value: this.objectValue(), keyName: null });
        if (this.objectSeparator()) break;
        continue;
      } else this.fail('invalid object key');
      if (this.isOp(':')) {
        this.next();
        entries.push({ key, value: this.objectValue(), keyName: null });
      } else {
        if (keyName === null) this.fail('an object key without a value must be a name or a plain string');
        entries.push({ key, value: null, keyName });
      }
      if (this.objectSeparator()) break;
    }
    return { kind: 'object', entries };
  }

  /** True at the closing brace. */
  private objectSeparator(): boolean {
    if (this.isOp('}')) {
      this.next();
      return true;
    }
    this.expectOp(',');
    return false;
  }

  /** jq's ExpD: terms joined by `|`, optionally negated; anything wider needs parentheses. */
  private objectValue(): Ast {
    let left: Ast;
    if (this.isOp('-')) {
      this.next();
      left = { kind: 'neg', body: this.objectValue() };
      return left;
    }
    left = this.postfixNoAs();
    if (this.isOp('|')) {
      this.next();
      return { kind: 'pipe', left, right: this.objectValue() };
    }
    return left;
  }

  private plainString(): string {
    const s = this.string(null);
    if (s.kind === 'string' && s.parts.every((p) => typeof p === 'string')) return s.parts.join('');
    this.fail('interpolation is not allowed here');
  }

  /** A string literal with `\(…)` interpolations, parsed in place. */
  private string(format: string | null): Ast {
    this.skipSpace();
    this.peeked = null;
    const s = this.src;
    if (s[this.pos] !== '"') this.fail('expected a string');
    this.pos++;
    const parts: (string | Ast)[] = [];
    let text = '';
    for (;;) {
      if (this.pos >= s.length) this.fail('unterminated string');
      const c = s[this.pos++];
      if (c === '"') break;
      if (c !== '\\') {
        text += c;
        continue;
      }
      const e = s[this.pos++];
      switch (e) {
        case 'n':
          text += '\n';
          break;
        case 't':
          text += '\t';
          break;
        case 'r':
          text += '\r';
          break;
        case 'b':
          text += '\b';
          break;
        case 'f':
          text += '\f';
          break;
        case '\\':
        case '/':
        case '"':
          text += e;
          break;
        case 'u': {
          const hex = s.slice(this.pos, this.pos + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape');
          text += String.fromCharCode(parseInt(hex, 16));
          this.pos += 4;
          break;
        }
        case '(': {
          if (text) parts.push(text);
          text = '';
          parts.push(this.pipe());
          if (!this.isOp(')')) this.fail("expected ')' to close an interpolation");
          // Continue scanning raw characters right after the ')'.
          this.pos = this.peeked!.end;
          this.peeked = null;
          break;
        }
        default:
          this.fail(`invalid escape '\\${e ?? ''}'`);
      }
    }
    if (text) parts.push(text);
    return { kind: 'string', parts, format };
  }
}
