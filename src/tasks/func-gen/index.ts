import { defineTask } from '../define-task.js';
import { generateFuncGen } from './generate.js';
import { funcGenOracle } from './oracle.js';
import { funcGenPrompt } from './prompt.js';
import { FuncGenInstanceSchema, type FuncGenInstance } from './schema.js';
import { verifyFuncGen } from './verify.js';
import { funcGenWorkspace } from './workspace.js';

/** Function generation: implement a function whose body was removed, judged by the repository's own tests. */
export const funcGenTask = defineTask<FuncGenInstance>({
  name: 'func-gen',
  version: 0,
  description: "Implement a function whose body was removed, judged by the repository's own tests; change nothing else.",
  instanceSchema: FuncGenInstanceSchema,
  generate: (options) => generateFuncGen(options as Parameters<typeof generateFuncGen>[0]),
  generateInputs: ['runner', 'imageContents', 'progress'],
  workspace: funcGenWorkspace,
  prompt: funcGenPrompt,
  verify: verifyFuncGen,
  oracle: funcGenOracle,
});

export { generateFuncGen, FuncGenOptionsSchema, type FuncGenOptions } from './generate.js';
export { FuncGenInstanceSchema, FuncGenTargetSchema, type FuncGenInstance, type FuncGenTarget } from './schema.js';
export { maskFunctionBody, FUNC_GEN_PLACEHOLDER, type MaskResult, type MaskTarget, type GoldBody } from './mask.js';
export { BODY_POLICY, checkBodyPolicy, type BodyPolicyRule, type BodyPolicyResult, type BodyPolicyViolation } from './body-policy.js';
export type { TestVerdict } from './verify.js';
