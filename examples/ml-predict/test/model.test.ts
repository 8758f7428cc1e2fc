import { describe, expect, it } from 'vitest';
import { predict, softmax, topProbability } from '../src/model.js';

describe('softmax', () => {
  it('stays finite for large logits', () => {
    // scipy.special.softmax([1000, 1001, 1002])
    const p = softmax([1000, 1001, 1002]);
    expect(p[0]).toBeCloseTo(0.09003057, 8);
    expect(p[1]).toBeCloseTo(0.24472847, 8);
    expect(p[2]).toBeCloseTo(0.66524096, 8);
  });
});

describe('predict', () => {
  it('classifies a typical setosa with high confidence', () => {
    // numpy: softmax(W @ [5.1, 3.5, 1.4, 0.2] + b) with the weights in src/model.ts
    const prediction = predict({
      sepalLengthCm: 5.1,
      sepalWidthCm: 3.5,
      petalLengthCm: 1.4,
      petalWidthCm: 0.2,
    });
    expect(prediction.label).toBe('setosa');
    expect(prediction.probabilities.setosa).toBeCloseTo(0.982328962, 8);
    expect(prediction.probabilities.versicolor).toBeCloseTo(0.0176710241, 8);
    expect(topProbability(prediction)).toBe(prediction.probabilities.setosa);
  });

  it('is unsure between versicolor and virginica for a borderline flower', () => {
    // numpy: softmax(W @ [6.3, 2.8, 5.0, 1.6] + b)
    const prediction = predict({
      sepalLengthCm: 6.3,
      sepalWidthCm: 2.8,
      petalLengthCm: 5.0,
      petalWidthCm: 1.6,
    });
    expect(prediction.label).toBe('virginica');
    expect(topProbability(prediction)).toBeCloseTo(0.53706991, 7);
    const total = Object.values(prediction.probabilities).reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(1, 12);
  });

  it('rejects measurements that are not finite and non-negative', () => {
    const flower = { sepalLengthCm: 5, sepalWidthCm: 3, petalLengthCm: 1, petalWidthCm: 0 };
    expect(() => predict({ ...flower, petalLengthCm: Number.NaN })).toThrow(RangeError);
    expect(() => predict({ ...flower, sepalWidthCm: -1 })).toThrow(RangeError);
  });
});
