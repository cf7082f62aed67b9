/**
 * The optimiser's random numbers: seeded, so the same seed gives the same study trial for
 * trial. sfc32 (Chris Doty-Humphrey's small fast counting generator, public domain): 128
 * bits of state, passes PractRand to 2^60 bytes, and is a few lines, which is why it is here
 * rather than a dependency.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal (Box-Muller; the second value of each pair is discarded for simplicity). */
  normal(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

export function seededRng(seed: number): Rng {
  // splitmix32 spreads the seed over the four state words, so seeds 1 and 2 start far apart.
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return {
    next,
    normal() {
      const u = 1 - next(); // (0, 1]: log(0) never happens
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    },
    int: (n) => Math.floor(next() * n),
  };
}
