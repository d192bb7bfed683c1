// Quickstart: define a tiny task, make an env, and drive it with a hand-written policy.
// Run after `npm run build`:   node examples/quickstart.mjs
// Without a Docker engine:     HYBRID_GYM_SANDBOX=local node examples/quickstart.mjs
import { z } from 'zod';
import { BaseInstanceSchema, defineTask, make } from 'hybrid-gym';

// 1. A task: "calc.py has a wrong operator; make test_calc.py pass". Instances say which function.
const FixOpInstance = BaseInstanceSchema.extend({ fn: z.string(), bug: z.string(), op: z.string() });
const fixOp = defineTask({
  name: 'fix-operator',
  version: 0,
  namespace: 'example',
  instanceSchema: FixOpInstance,
  // What the agent starts from: the bug is there, the answer (`op`) is not.
  workspace: async (i) =>
    new Map([
      ['calc.py', Buffer.from(`def ${i.fn}(a, b):\n    return a ${i.bug} b\n`)],
      ['test_calc.py', Buffer.from(`from calc import ${i.fn}\nexpected = ${evalOp(i.op, 2, 3)}\n` +
        `got = ${i.fn}(2, 3)\nif got != expected: raise SystemExit(f"FAIL: ${i.fn}(2, 3) == {got}, expected {expected}")\nprint("OK")\n`)],
    ]),
  prompt: (_i, ctx) => `The test ${ctx.workdir}/test_calc.py fails (run: python3 test_calc.py). Fix calc.py; do not edit the test.`,
  // Pure: a function of the instance and the final files, nothing else.
  verify: (i, files) => {
    const success = files.get('calc.py')?.toString().includes(`return a ${i.op} b`) === true;
    return { reward: success ? 1 : 0, success, details: { calc: files.get('calc.py')?.toString() } };
  },
  oracle: (i, ctx) => [{ tool: 'str_replace_editor', input: { command: 'str_replace', path: `${ctx.workdir}/calc.py`, old_str: `a ${i.bug} b`, new_str: `a ${i.op} b` } }],
});

function evalOp(op, a, b) {
  return { '+': a + b, '-': a - b, '*': a * b }[op];
}

// 2. A policy: run the test, read the code, pick the operator that gives the expected value, re-test.
/** @type {import('hybrid-gym').Agent} */
const agent = {
  name: 'hand-written',
  act(observation, { step, info, history }) {
    const test = { tool: 'bash', input: { command: 'python3 test_calc.py' } };
    if (step === 0) return test;
    const last = history.at(-1).action;
    if (last.tool === 'bash' && observation.exitCode === 0) return { tool: 'finish', input: { message: 'the test passes' } };
    if (last.tool === 'bash') return { tool: 'str_replace_editor', input: { command: 'view', path: `${info.workdir}/calc.py` } };
    if (last.tool === 'str_replace_editor' && last.input.command === 'view') {
      const failure = /FAIL: \w+\((\d+), (\d+)\) == -?\d+, expected (-?\d+)/.exec(history.at(-2).result.observation.text);
      const [, a, b, want] = failure.map(Number);
      const op = ['+', '-', '*'].find((o) => evalOp(o, a, b) === want);
      const bad = /return a (\S+) b/.exec(observation.text)[1];
      return { tool: 'str_replace_editor', input: { command: 'str_replace', path: `${info.workdir}/calc.py`, old_str: `a ${bad} b`, new_str: `a ${op} b` } };
    }
    return test;
  },
};

// 3. The loop.
const base = { task: 'fix-operator', repo: { path: '.', name: 'inline' }, seed: 0 };
const env = await make(fixOp, {
  instances: [{ ...base, id: 'add', fn: 'add', bug: '-', op: '+' }, { ...base, id: 'mul', fn: 'mul', bug: '+', op: '*' }],
  sandbox: process.env.HYBRID_GYM_SANDBOX ?? 'docker',
  maxSteps: 10,
});
try {
  const { observation, info } = await env.reset({ seed: 0 });
  console.log(`instance ${info.instanceId}: ${observation.text}`);
  const history = [];
  let obs = observation;
  for (;;) {
    const action = await agent.act(obs, { step: history.length, info, history });
    const result = await env.step(action);
    history.push({ action, result });
    obs = result.observation;
    console.log(`#${result.info.step} ${action.tool} ${JSON.stringify(action.input).slice(0, 70)}\n   -> ${obs.text.split('\n')[0].slice(0, 90)}`);
    if (result.terminated || result.truncated) {
      console.log(`reward ${result.reward} (terminated=${result.terminated}, truncated=${result.truncated})`);
      break;
    }
  }
} finally {
  await env.close(); // in TypeScript: `await using env = await make(...)` closes it for you
}
