// hybrid-gym/testing: tools for testing envs and agents.
export { checkEnv, CheckEnvError, type CheckEnvOptions, type CheckFailure } from './check-env.js';
export { ScriptedAgent, NoopAgent } from '../agents/simple-agents.js';
