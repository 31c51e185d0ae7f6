/** "Did you mean" for mistyped keys: the closest known name, if it is close enough. */

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The known name nearest to `word`, within a third of its length (at least 2 edits). */
function closest(word: string, known: Iterable<string>): string | undefined {
  // A shortened name ("alpha" for "lora_alpha") is closer in meaning than in edits.
  const names = [...known];
  const part =
    word.length >= 3 ? names.find((n) => n.toLowerCase().split(/[_.-]/).includes(word.toLowerCase())) : undefined;
  if (part) return part;
  const limit = Math.max(2, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of names) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

export function didYouMean(word: string, known: Iterable<string>): string {
  const match = closest(word, known);
  return match ? `; did you mean '${match}'?` : "";
}
