/**
 * Incremental detokenization: the new text each generated token adds.
 *
 * SentencePiece-style decoders drop the leading space of a sequence, so the
 * generated ids are decoded after the last prompt token and that token's own
 * text is cut off again: " there" after "time" keeps its space. A token that
 * ends in the middle of a UTF-8 character yields "" until the character is whole.
 */

/** The part of a model that turns ids into text. */
export interface Decoder {
  decode(ids: number[]): string;
}

/** Turns a stream of token ids into a stream of text pieces. */
export class TextDelta {
  readonly #ids: number[];
  readonly #prefixLength: number;
  #emitted = 0;

  constructor(private readonly decoder: Decoder, lastPromptId: number) {
    this.#ids = [lastPromptId];
    this.#prefixLength = decoder.decode(this.#ids).length;
  }

  /** Adds a token; returns the new complete text it makes visible. */
  push(id: number): string {
    this.#ids.push(id);
    const text = this.#text();
    if (text.endsWith("\uFFFD")) return "";
    return this.#take(text);
  }

  /** Whatever is still held back (an incomplete character at the very end). */
  flush(): string {
    return this.#take(this.#text());
  }

  #text(): string {
    return this.decoder.decode(this.#ids).slice(this.#prefixLength);
  }

  #take(text: string): string {
    const piece = text.slice(this.#emitted);
    this.#emitted = text.length;
    return piece;
  }
}
