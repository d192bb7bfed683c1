import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateFuncLocalize } from '../../../../src/tasks/func-localize/generate.js';
import type { FuncLocalizeInstance } from '../../../../src/tasks/func-localize/schema.js';
import { verifyFuncLocalize } from '../../../../src/tasks/func-localize/verify.js';
import { funcLocalizeWorkspace } from '../../../../src/tasks/func-localize/workspace.js';
import type { WorkspaceFiles } from '../../../../src/workspace/files.js';

const SHOP = fileURLToPath(new URL('../../../fixtures/func-localize/shop', import.meta.url));

let all: FuncLocalizeInstance[];
const instance = (qualname: string) => all.find((i) => i.targets.length === 1 && i.targets[0]!.qualname === qualname)!;

/** The masked workspace with `edit` applied to one file's text. */
async function edited(inst: FuncLocalizeInstance, file: string, edit: (text: string) => string): Promise<WorkspaceFiles> {
  const files = new Map(await funcLocalizeWorkspace(inst));
  files.set(file, Buffer.from(edit(files.get(file)!.toString())));
  return files;
}

const verdict = async (inst: FuncLocalizeInstance, files: WorkspaceFiles) => verifyFuncLocalize(inst, files);

describe('func-localize verifier', () => {
  beforeAll(async () => {
    all = await generateFuncLocalize({ repo: SHOP, perFile: 10 });
  });

  it('rejects the untouched masked workspace', async () => {
    const r = await verdict(instance('checkout'), await funcLocalizeWorkspace(instance('checkout')));
    expect(r).toMatchObject({ reward: 0, success: false });
    expect(r.details.targets).toEqual([{ file: 'pkg/cart.py', qualname: 'checkout', documented: false, line: 27, reason: 'no docstring' }]);
  });

  describe('accepts', () => {
    it('a single-line docstring', async () => {
      const files = await edited(instance('checkout'), 'pkg/cart.py', (t) => t.replace('def checkout(cart):\n', 'def checkout(cart):\n    """Check out."""\n'));
      expect(await verdict(instance('checkout'), files)).toMatchObject({ reward: 1, success: true });
    });

    it("r\"\"\" and u''' and single-quoted triple strings", async () => {
      for (const doc of ['r"""Sum it up."""', "u'''Sum it up.'''", "'''Sum\n        it up.\n        '''"]) {
        const files = await edited(instance('Cart.total'), 'pkg/cart.py', (t) => t.replace('    def total(self):\n', `    def total(self):\n        ${doc}\n`));
        expect(await verdict(instance('Cart.total'), files)).toMatchObject({ reward: 1, success: true });
      }
    });

    it('a docstring next to added comments, and comments elsewhere', async () => {
      const files = await edited(instance('Cart.add'), 'pkg/cart.py', (t) =>
        t
          .replace('    def add(self, name, price, quantity=1):\n', '    # adds things\n    def add(self, name, price, quantity=1):\n        """Add one."""\n        # the body\n')
          .replace('import math\n', 'import math  # rounding\n'),
      );
      expect(await verdict(instance('Cart.add'), files)).toMatchObject({ reward: 1, success: true });
    });

    it('a docstring above the placeholder pass, or in its place', async () => {
      const inst = instance('EmptyCartError');
      const above = await edited(inst, 'pkg/cart.py', (t) => t.replace('class EmptyCartError(Exception):\n    pass\n', 'class EmptyCartError(Exception):\n    """Empty cart."""\n    pass\n'));
      expect(await verdict(inst, above)).toMatchObject({ reward: 1 });
      const instead = await edited(inst, 'pkg/cart.py', (t) => t.replace('class EmptyCartError(Exception):\n    pass\n', 'class EmptyCartError(Exception):\n    """Empty cart."""\n'));
      expect(await verdict(inst, instead)).toMatchObject({ reward: 1 });
    });

    it('a target among redefinitions of the same name (overload stubs keep their docstrings)', async () => {
      const inst = all.find((i) => i.targets[0]!.qualname === 'apply' && i.targets[0]!.docstring.text.includes('any numeric'))!;
      const files = await edited(inst, 'pkg/discounts.py', (t) => t.replace('def apply(price):\n', 'def apply(price):\n    """Discount."""\n'));
      expect(await verdict(inst, files)).toMatchObject({ reward: 1, success: true });
    });

    it('the right one among overloads even when comments push lines far away', async () => {
      const inst = all.find((i) => i.targets[0]!.qualname === 'apply' && i.targets[0]!.docstring.text.includes('any numeric'))!;
      const comments = Array.from({ length: 30 }, (_, k) => `# note ${k}`).join('\n');
      const good = await edited(inst, 'pkg/discounts.py', (t) => t.replace('def apply(price):\n', `${comments}\ndef apply(price):\n    """Discount."""\n`));
      expect(await verdict(inst, good)).toMatchObject({ reward: 1, success: true });
      const onStub = await edited(inst, 'pkg/discounts.py', (t) => t.replace('def apply(price: int) -> int: ...', 'def apply(price: int) -> int:\n    """Discount."""'));
      expect(await verdict(inst, onStub)).toMatchObject({ reward: 0, success: false });
    });

    it('the definition found again after lines moved', async () => {
      const files = await edited(instance('percent_off'), 'pkg/discounts.py', (t) =>
        `# header\n# more header\n\n${t.replace('def percent_off(price, percent):\n', 'def percent_off(price, percent):\n    """Take a percentage off."""\n')}`,
      );
      expect(await verdict(instance('percent_off'), files)).toMatchObject({ reward: 1, success: true });
    });
  });

  describe('rejects', () => {
    const documented = (t: string) => t.replace('def checkout(cart):\n', 'def checkout(cart):\n    """Check out."""\n');

    it('code edited anywhere, even in another file', async () => {
      const files = await edited(instance('checkout'), 'pkg/cart.py', documented);
      files.set('pkg/discounts.py', Buffer.from(files.get('pkg/discounts.py')!.toString().replace('100 - percent', '100 - 2 * percent')));
      const r = await verdict(instance('checkout'), files);
      expect(r).toMatchObject({ reward: 0, success: false });
      expect(r.details.violations).toEqual([{ file: 'pkg/discounts.py', line: 3, problem: 'code changed (only docstrings and comments may change)' }]);
    });

    it('code changed below the docstring the agent wrote: reported at the code, not at the docstring', async () => {
      const files = await edited(instance('checkout'), 'pkg/cart.py', (t) => `${documented(t)}\nx = 1\n`);
      const lines = files.get('pkg/cart.py')!.toString().split('\n');
      const r = await verdict(instance('checkout'), files);
      expect(r.details.violations).toEqual([{ file: 'pkg/cart.py', line: lines.indexOf('x = 1') + 1, problem: 'code changed (only docstrings and comments may change)' }]);
    });

    it('code deleted, and a file deleted', async () => {
      const deleted = await edited(instance('checkout'), 'pkg/cart.py', (t) => documented(t).replace('    label = "receipt: "\n', ''));
      expect(await verdict(instance('checkout'), deleted)).toMatchObject({ reward: 0 });
      const gone = await edited(instance('checkout'), 'pkg/cart.py', documented);
      gone.delete('pkg/discounts.py');
      expect((await verdict(instance('checkout'), gone)).details.violations).toEqual([{ file: 'pkg/discounts.py', problem: 'file deleted' }]);
    });

    it('the docstring put on the wrong definition', async () => {
      const files = await edited(instance('checkout'), 'pkg/cart.py', (t) => t.replace('    def clear(self):\n', '    def clear(self):\n        """Check out."""\n'));
      const r = await verdict(instance('checkout'), files);
      expect(r).toMatchObject({ reward: 0, success: false });
      expect(r.details.violations).toEqual([
        { file: 'pkg/cart.py', line: 19, problem: 'docstring of Cart.clear added, but it is not a target' },
      ]);
    });

    it('a # comment instead of a docstring', async () => {
      const files = await edited(instance('checkout'), 'pkg/cart.py', (t) => t.replace('def checkout(cart):\n', 'def checkout(cart):\n    # Check out a cart.\n'));
      expect(await verdict(instance('checkout'), files)).toMatchObject({ reward: 0, success: false });
    });

    it('a changed string literal that is not a docstring', async () => {
      const files = await edited(instance('checkout'), 'pkg/cart.py', (t) => documented(t).replace('"receipt: "', '"Receipt: "'));
      expect(await verdict(instance('checkout'), files)).toMatchObject({ reward: 0 });
    });

    it('a new file with code, and a file that no longer parses', async () => {
      const extra = await edited(instance('checkout'), 'pkg/cart.py', documented);
      extra.set('reproduce.py', Buffer.from('print("hi")\n'));
      expect((await verdict(instance('checkout'), extra)).details.violations).toEqual([{ file: 'reproduce.py', problem: 'new file with code' }]);
      const broken = await edited(instance('checkout'), 'pkg/cart.py', (t) => documented(t).replace('def checkout(cart):', 'def checkout(cart)'));
      expect(await verdict(instance('checkout'), broken)).toMatchObject({ reward: 0 });
    });
  });

  it('scores the fraction of targets documented in a multi-target instance', async () => {
    const [multi] = await generateFuncLocalize({ repo: SHOP, targets: 2, perFile: 10, seed: 1 });
    const [first] = multi!.targets;
    const files = new Map(await funcLocalizeWorkspace(multi!));
    const text = files.get(first!.file)!.toString().split('\n');
    const { parsePythonSource } = await import('../../../../src/analysis/index.js');
    const def = parsePythonSource(text.join('\n'))
      .definitions.filter((d) => d.qualname === first!.qualname)
      .sort((x, y) => Math.abs(x.line - first!.line) - Math.abs(y.line - first!.line))[0]!;
    text.splice(def.bodyLine - 1, 0, `${/^\s*/.exec(text[def.bodyLine - 1]!)![0]}"""Documented."""`);
    files.set(first!.file, Buffer.from(text.join('\n')));
    expect(await verdict(multi!, files)).toMatchObject({ reward: 0.5, success: false });
  });
});
