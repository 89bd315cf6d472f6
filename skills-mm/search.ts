/**
 * Text ranking for the library: BM25 over name, description, state cards and step text. Small
 * and dependency-free; a library holds hundreds of skills, not millions.
 */

const stopwords = new Set('a an and are as at be by for from has have in into is it its of on or that the then this to was were when where which with you your use do'.split(' '));

export function tokenize(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((token) => token.length > 0 && !stopwords.has(token))
    .map(stem);
}

/** A light stemmer: plural and -ing/-ed endings, enough for "saving"/"saves"/"save" to meet. */
function stem(token: string): string {
  let word = token;
  if (word.length > 5 && word.endsWith('ing')) word = word.slice(0, -3);
  else if (word.length > 4 && word.endsWith('ed')) word = word.slice(0, -2);
  else if (word.length > 4 && word.endsWith('es')) word = word.slice(0, -2);
  else if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) word = word.slice(0, -1);
  // A final e goes too, so save / saves / saving / saved all meet at "sav".
  if (word.length > 3 && word.endsWith('e')) word = word.slice(0, -1);
  return word;
}

export interface SearchDocument {
  id: string;
  /** Fields with weights: a match in the name counts more than one in a card. */
  fields: { text: string; weight: number }[];
}

/** Tokenized documents with their statistics, built once and queried many times. */
export interface Bm25Index {
  score(query: string): Map<string, number>;
}

export function createBm25Index(documents: readonly SearchDocument[], k1 = 1.2, b = 0.75): Bm25Index {
  const bags = documents.map((document) => {
    const counts = new Map<string, number>();
    let length = 0;
    for (const field of document.fields) {
      for (const token of tokenize(field.text)) {
        counts.set(token, (counts.get(token) ?? 0) + field.weight);
        length += field.weight;
      }
    }
    return { id: document.id, counts, length };
  });
  const averageLength = bags.reduce((sum, bag) => sum + bag.length, 0) / (bags.length || 1) || 1;
  const postings = new Map<string, number[]>();
  bags.forEach((bag, index) => {
    for (const token of bag.counts.keys()) {
      const list = postings.get(token);
      if (list) list.push(index);
      else postings.set(token, [index]);
    }
  });
  return {
    score(query) {
      const scores = new Map<string, number>();
      for (const term of new Set(tokenize(query))) {
        const containing = postings.get(term);
        if (!containing) continue;
        const idf = Math.log(1 + (bags.length - containing.length + 0.5) / (containing.length + 0.5));
        for (const index of containing) {
          const bag = bags[index];
          const frequency = bag.counts.get(term)!;
          const score = (idf * frequency * (k1 + 1)) / (frequency + k1 * (1 - b + (b * bag.length) / averageLength));
          scores.set(bag.id, (scores.get(bag.id) ?? 0) + score);
        }
      }
      return scores;
    },
  };
}

/** One-shot BM25 (builds the index and scores one query). */
export function bm25(documents: readonly SearchDocument[], query: string, k1 = 1.2, b = 0.75): Map<string, number> {
  return createBm25Index(documents, k1, b).score(query);
}
