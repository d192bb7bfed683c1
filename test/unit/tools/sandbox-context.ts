import { LocalProvider } from '../../../src/sandbox/local/local-provider.js';
import type { Sandbox } from '../../../src/sandbox/types.js';
import { runAction } from '../../../src/tools/run-action.js';
import type { ToolContext, ToolOutcome } from '../../../src/tools/types.js';

/** A real local sandbox and a tool context on it; quick idle returns keep the tests fast. */
export async function openContext(overrides: Partial<ToolContext> = {}): Promise<{
  ctx: ToolContext;
  sandbox: Sandbox;
  run: (tool: string, input?: unknown) => Promise<ToolOutcome>;
  close: () => Promise<void>;
}> {
  const provider = await LocalProvider.start();
  const sandbox = await provider.create();
  const ctx: ToolContext = { sandbox, editHistory: new Map(), bashIdleSeconds: 1, ...overrides };
  return {
    ctx,
    sandbox,
    run: (tool, input) => runAction({ tool, input }, ctx),
    close: () => provider.close(),
  };
}
