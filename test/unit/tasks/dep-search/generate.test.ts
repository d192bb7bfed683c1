import { describe, expect, it } from 'vitest';
import { depSearchTask } from '../../../../src/tasks/dep-search/index.js';
import { toJsonl } from '../../../../src/tasks/instances-io.js';
import { parseInstance } from '../../../../src/tasks/define-task.js';
import { ValidationError } from '../../../../src/errors.js';
import { MARKED, SHOP, shopInstances } from './helpers.js';

const summary = (i: Awaited<ReturnType<typeof shopInstances>>[number]): string =>
  `${i.target.file}::${i.target.qualname} <- ${i.dependencies.map((d) => `${d.file}::${d.qualname}@${d.line}/${d.anchorLine}`).join(' ')}`;

describe('dep-search generator', () => {
  it('picks public functions with 1..5 in-repo callees and their exact dependencies', async () => {
    const instances = await shopInstances();
    expect(instances.map(summary)).toEqual([
      'shop/cli.py::main <- shop/models.py::summary@58/58',
      'shop/models.py::Cart.checkout <- shop/errors.py::OutOfStock@5/5 shop/models.py::Cart.total@25/25 shop/models.py::format_price@34/34',
      'shop/models.py::make_cart <- shop/models.py::Item@12/10 shop/models.py::Cart@17/17 shop/models.py::Cart.add@21/21 shop/models.py::price_of@46/46',
      'shop/models.py::first_price <- shop/models.py::price_of@46/46',
      'shop/models.py::describe <- shop/models.py::format_price@34/34',
      'shop/models.py::summary <- shop/models.py::Cart.total@25/25 shop/models.py::format_price@34/34 shop/models.py::make_cart@38/38',
    ]);
    const i = instances[2]!;
    expect(i).toMatchObject({
      task: 'dep-search',
      repo: { path: SHOP, name: 'shop' },
      seed: 0,
      reward: 'binary',
      target: { file: 'shop/models.py', name: 'make_cart', qualname: 'make_cart', line: 38, endLine: 43 },
    });
    expect(i.dependencies[0]).toEqual({ file: 'shop/models.py', name: 'Item', qualname: 'Item', kind: 'class', line: 12, endLine: 14, anchorLine: 10 });
    expect(instances.every((x) => parseInstance(depSearchTask, JSON.parse(JSON.stringify(x))))).toBe(true);
  });

  it('leaves test files out unless asked, and honours minDeps/maxDeps', async () => {
    const withTests = await shopInstances({ includeTests: true });
    expect(withTests.map((i) => i.target.qualname)).toContain('test_make_cart');
    const many = await shopInstances({ minDeps: 3, maxDeps: 4 });
    expect(many.map((i) => i.target.qualname).sort()).toEqual(['Cart.checkout', 'make_cart', 'summary']);
    await expect(shopInstances({ minDeps: 4, maxDeps: 2 })).rejects.toBeInstanceOf(ValidationError);
  });

  it('gives stable ids and byte-identical JSON lines for the same seed', async () => {
    const a = toJsonl(await shopInstances({ seed: 3, n: 4 }));
    const b = toJsonl(await shopInstances({ seed: 3, n: 4 }));
    expect(a).toBe(b);
    const ids = (await shopInstances({ seed: 3 })).map((i) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => /^dep-search-[0-9a-f]{12}$/.test(id))).toBe(true);
    const other = (await shopInstances({ seed: 4 })).map((i) => i.id);
    expect(other.some((id) => ids.includes(id))).toBe(false);
  });

  it('samples balanced over the number of dependencies', async () => {
    // Groups: 1 dependency (main, first_price, describe), 3 (checkout, summary), 4 (make_cart).
    for (const seed of [0, 1, 2, 3, 4, 5]) {
      const picked = await shopInstances({ n: 3, seed });
      expect(picked.map((i) => i.dependencies.length).sort()).toEqual([1, 3, 4]);
    }
    const five = await shopInstances({ n: 5, seed: 9 });
    const counts = five.map((i) => i.dependencies.length).sort();
    expect(counts).toEqual([1, 1, 3, 3, 4]);
    // Different seeds pick different members of a group.
    const firsts = new Set<string>();
    for (let seed = 0; seed < 10; seed++) {
      const one = (await shopInstances({ n: 3, seed })).find((i) => i.dependencies.length === 1)!;
      firsts.add(one.target.qualname);
    }
    expect(firsts.size).toBeGreaterThan(1);
  });

  it('skips a target whose comment the repository already holds', async () => {
    const instances = await depSearchTask.generate!({ repo: MARKED });
    expect(instances.map((i) => i.target.qualname)).toEqual(['start']);
  });

  it('stores the shaped reward option in the instance', async () => {
    const [i] = await shopInstances({ reward: 'f1', n: 1 });
    expect(i!.reward).toBe('f1');
  });
});
