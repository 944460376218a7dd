// Float64 references of the Keras 3 update rules (keras/src/optimizers/{sgd,adam,rmsprop,nadam}.py).
type A = Float64Array;

export function sgdRef(lr: number, mu: number, nesterov: boolean, p: A, g: ArrayLike<number>, v: A): void {
  for (let i = 0; i < p.length; i++) {
    if (mu === 0) {
      p[i] -= lr * g[i];
      continue;
    }
    v[i] = mu * v[i] - lr * g[i];
    p[i] += nesterov ? mu * v[i] - lr * g[i] : v[i];
  }
}

export function adamRef(t: number, lr: number, b1: number, b2: number, eps: number, p: A, g: ArrayLike<number>, m: A, v: A, vHat: A | null): void {
  const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
  for (let i = 0; i < p.length; i++) {
    m[i] += (g[i] - m[i]) * (1 - b1);
    v[i] += (g[i] * g[i] - v[i]) * (1 - b2);
    let vi = v[i];
    if (vHat) vi = vHat[i] = Math.max(vHat[i], vi);
    p[i] -= (alpha * m[i]) / (Math.sqrt(vi) + eps);
  }
}

export function rmspropRef(lr: number, rho: number, mu: number, eps: number, p: A, g: ArrayLike<number>, v: A, mom: A | null, avg: A | null): void {
  for (let i = 0; i < p.length; i++) {
    v[i] = rho * v[i] + (1 - rho) * g[i] * g[i];
    let den = v[i] + eps;
    if (avg) {
      avg[i] = rho * avg[i] + (1 - rho) * g[i];
      den = v[i] - avg[i] * avg[i] + eps;
    }
    const inc = (lr * g[i]) / Math.sqrt(den);
    if (mu > 0 && mom) {
      mom[i] = mu * mom[i] + inc;
      p[i] -= mom[i];
    } else {
      p[i] -= inc;
    }
  }
}

/** Keras keeps the product of u_s as a variable updated once per step; `cache` plays that role. */
export function nadamRef(t: number, lr: number, b1: number, b2: number, eps: number, p: A, g: ArrayLike<number>, m: A, v: A, cache: { uProduct: number }): void {
  const u = (s: number) => b1 * (1 - 0.5 * 0.96 ** s);
  cache.uProduct *= u(t);
  const uT = u(t), uNext = u(t + 1), prodT = cache.uProduct;
  for (let i = 0; i < p.length; i++) {
    m[i] += (g[i] - m[i]) * (1 - b1);
    v[i] += (g[i] * g[i] - v[i]) * (1 - b2);
    const mHat = (uNext * m[i]) / (1 - prodT * uNext) + ((1 - uT) * g[i]) / (1 - prodT);
    const vHat = v[i] / (1 - b2 ** t);
    p[i] -= (lr * mHat) / (Math.sqrt(vHat) + eps);
  }
}
