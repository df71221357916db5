/**
 * JSON's grammar over a token stream, with a bounded depth. @streamparser/json's Tokenizer
 * checks the spelling of each token but not their order (`[1 2]` tokenizes fine); its
 * TokenParser checks the order but builds the values, which an upload of millions of examples
 * must not. This checks the order with a stack of container kinds only, and refuses nesting
 * deeper than `maxDepth` before it grows.
 */
import { invalid } from '../errors.ts';
import { TokenType } from '@streamparser/json';

function fail_(token: TokenType, offset: number): never {
  invalid('body', `is not JSON: unexpected ${TokenType[token].toLowerCase().replace('_', ' ')} at byte ${offset}`);
}

type Expect = 'value' | 'key' | 'colon' | 'commaOrClose' | 'end';

export class JsonGrammar {
  /** true: an object, false: an array; innermost last. */
  private readonly stack: boolean[] = [];
  private expect: Expect = 'value';
  /** Whether the innermost container has no element yet (so `]` or `}` may close it at once). */
  private empty = false;

  constructor(private readonly maxDepth: number) {}

  /** Containers the next token is inside: 0 at the top level, 1 inside the outer object, … */
  get depth(): number {
    return this.stack.length;
  }

  /** Whether the next STRING token is an object key. */
  get expectsKey(): boolean {
    return this.expect === 'key';
  }

  get ended(): boolean {
    return this.expect === 'end';
  }

  /** Checks `token` against what may come next and moves on; throws a 400 naming `offset` if it may not. */
  accept(token: TokenType, offset: number): void {
    // No closure here: this runs for every token, and creating one per call was a third of the time.
    const fail = fail_;
    switch (token) {
      case TokenType.COLON:
        if (this.expect !== 'colon') fail(token, offset);
        this.expect = 'value';
        return;
      case TokenType.COMMA:
        if (this.expect !== 'commaOrClose') fail(token, offset);
        this.expect = this.stack[this.stack.length - 1] ? 'key' : 'value';
        return;
      case TokenType.RIGHT_BRACE:
      case TokenType.RIGHT_BRACKET: {
        const isObject = token === TokenType.RIGHT_BRACE;
        const open = this.stack.length > 0 && this.stack[this.stack.length - 1] === isObject;
        const canClose = this.expect === 'commaOrClose' || (this.empty && this.expect === (isObject ? 'key' : 'value'));
        if (!open || !canClose) fail(token, offset);
        this.stack.pop();
        this.afterValue();
        return;
      }
      case TokenType.STRING:
        if (this.expect === 'key') {
          this.expect = 'colon';
          this.empty = false;
          return;
        }
        break;
      case TokenType.SEPARATOR:
        fail(token, offset);
    }
    // A value: a scalar, or the start of a container.
    if (this.expect !== 'value') fail(token, offset);
    this.empty = false;
    if (token === TokenType.LEFT_BRACE || token === TokenType.LEFT_BRACKET) {
      if (this.stack.length >= this.maxDepth) invalid('body', `is nested deeper than ${this.maxDepth} levels (at byte ${offset})`);
      const isObject = token === TokenType.LEFT_BRACE;
      this.stack.push(isObject);
      this.expect = isObject ? 'key' : 'value';
      this.empty = true;
      return;
    }
    this.afterValue();
  }

  private afterValue(): void {
    this.empty = false;
    this.expect = this.stack.length === 0 ? 'end' : 'commaOrClose';
  }
}
