/** Maps a field path in a parsed recipe back to a line and column in its YAML text. */
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from "yaml";
import type { FieldPath } from "./errors.js";

interface Position {
  line: number;
  col: number;
}

export class SourceMap {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Where the value at `path` starts; the nearest existing ancestor when it is absent. */
  value(path: FieldPath): Position | undefined {
    return this.at(this.walk(path).node);
  }

  /** Where the key `key` of the mapping at `path` starts (for unknown keys). */
  key(path: FieldPath, key: string): Position | undefined {
    const { node, complete } = this.walk(path);
    if (complete && isMap(node)) {
      for (const pair of node.items) {
        if (isPair(pair) && isScalar(pair.key) && String(pair.key.value) === key) return this.at(pair.key);
      }
    }
    return this.at(node);
  }

  private walk(path: FieldPath): { node: Node | null; complete: boolean } {
    let node: Node | null = this.doc.contents ?? null;
    for (const part of path) {
      let next: Node | null = null;
      if (isMap(node)) {
        for (const pair of node.items) {
          if (isPair(pair) && isScalar(pair.key) && String(pair.key.value) === String(part)) {
            next = (pair.value as Node | null) ?? pair.key;
          }
        }
      } else if (isSeq(node) && typeof part === "number") {
        next = (node.items[part] as Node | undefined) ?? null;
      }
      if (!next) return { node, complete: false };
      node = next;
    }
    return { node, complete: true };
  }

  private at(node: Node | null): Position | undefined {
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : this.lines.linePos(offset);
  }
}
