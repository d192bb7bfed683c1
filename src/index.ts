// The public API: every name a user may import, in one explicit list.
export {
  HybridGymError,
  ValidationError,
  SandboxError,
  CheckSandboxError,
  EngineUnavailableError,
  ClosedError,
  ShellBusyError,
  ImageBuildError,
  UsageError,
  NoInstancesError,
  NoPassingTestsError,
  StaleInstanceError,
  ModelError,
  type ModelErrorKind,
  type ValidationIssue,
} from './errors.js';

export type { ExecResult, RunOptions, FileEntry, HostFolder, Sandbox, SandboxProvider } from './sandbox/types.js';
export { SandboxPool, type SandboxPoolOptions } from './sandbox/pool.js';
export {
  DockerProvider,
  DockerProviderOptionsSchema,
  type DockerProviderOptions,
} from './sandbox/docker/docker-provider.js';
export { LocalProvider, LocalProviderOptionsSchema, type LocalProviderOptions } from './sandbox/local/local-provider.js';
export { reapContainers, type ReapResult } from './sandbox/docker/reaper.js';
export { createProvider, type SandboxKind } from './sandbox/create-provider.js';

export { DEFAULT_IMAGE, buildDefaultImage } from './image/index.js';
export type { BuildDefaultImageOptions, BuildDefaultImageResult } from './image/index.js';
// Images per repository and the manifest of what an image holds (no answer in the image).
export { buildImage, imageRecipe, recipeTag, imageManifest, hostManifest, ImageManifestSchema } from './image/index.js';
export type { BuildImageOptions, BuildImageResult, ImageRecipe, ImageManifest, ImageManifestOptions, HostManifestOptions } from './image/index.js';
export { imageContentsFromManifest, episodeImageContents } from './env/image-check.js';
export type { EpisodeImage } from './env/image-check.js';
export { normalizeAnswerText, answerHash, imageContentsOf } from './tasks/image-contents.js';
export type { ImageContents, DroppedTargets, ImageCheckOptions } from './tasks/image-contents.js';

export {
  EnvNotFoundError,
  EnvOrderError,
  InstanceNotFoundError,
} from './errors.js';

// Environments
export type { Env, EnvEvents, RegisteredEnvs, ResetOptions, ResetInfo, StepResult, StepInfo, Truncation } from './env/types.js';
export { make, register, registeredEnvs, registeredTask, type EnvFactory } from './env/registry.js';
export { MakeOptionsSchema, type MakeOptions } from './env/make-options.js';
export { TaskEnv } from './env/task-env.js';
export { SandboxCodeRunner, type CodeRunnerOptions } from './env/code-runner.js';
export { verifyFiles, type VerifyFilesOptions } from './env/verify-files.js';
export { Wrapper, TimeLimit, OrderEnforcing, type TimeLimitOptions } from './env/wrappers.js';

// Tasks
export {
  defineTask,
  parseInstance,
  taskEnvId,
  BaseInstanceSchema,
  type BaseInstance,
  type TaskDefinition,
  type TaskContext,
  type GenerateOptions,
  type VerifyContext,
  type VerifyResult,
} from './tasks/define-task.js';
export type { CodeCheck, CodeCheckResult, CheckDirs, RunCheck, CodeRunner } from './tasks/code-check.js';
export { isProtectedForChecks, withProtectedRestored } from './tasks/protected-files.js';
export { readInstances, writeInstances, toJsonl, parseJsonl } from './tasks/instances-io.js';

// The host cache
export {
  cacheUsage,
  pruneCache,
  CACHE_KINDS,
  type CacheKind,
  type CacheKindUsage,
  type PruneCacheOptions,
  type PruneCacheResult,
} from './util/cache-maintenance.js';

// Workspaces
export { loadRepoFiles, diffFiles, type WorkspaceFiles } from './workspace/files.js';
export { installWorkspace, readWorkspace } from './workspace/sandbox-workspace.js';

// Tools
export type { Action, Observation, ToolContext, ToolOutcome } from './tools/types.js';
export {
  runAction,
  toolSchemas,
  toolDefinition,
  parseOpenAIToolCall,
  parseAnthropicToolUse,
  parseTextToolCall,
  parseTextToolCalls,
  TOOL_NAMES,
  type OpenAITool,
  type AnthropicTool,
  type ToolInputSchema,
  type ToolSchemaOptions,
  type ParsedAction,
  type ParsedActions,
} from './tools/index.js';

// Code analysis (docs/analysis.md)
export {
  indexRepo,
  callSites,
  callees,
  parsePythonSource,
  stripDocstringsAndComments,
  hasSyntaxErrors,
  cleandoc,
  type AnalyzedRepo,
  type IndexRepoOptions,
  type ParsedPythonSource,
  type CallSite,
  type Definition,
  type DefinitionKind,
  type Docstring,
  type Parameter,
  type ParameterKind,
  type RepoIndex,
  type Resolution,
  type ResolutionVia,
  type SkippedFile,
  type SkipReason,
  type SourceFile,
} from './analysis/index.js';
// Agents and rollouts
export type { Agent, AgentContext, AgentModuleFactory } from './agents/agent.js';
export { NoopAgent, ScriptedAgent, OracleAgent } from './agents/simple-agents.js';
export { runEpisode, type Episode, type EpisodeStep } from './rollout/run-episode.js';
// LLM agents (the `openai` and `@anthropic-ai/sdk` clients are loaded on first use) and what they record.
export { OpenAIAgent, type OpenAIAgentOptions } from './agents/llm/openai-agent.js';
export { AnthropicAgent, type AnthropicAgentOptions } from './agents/llm/anthropic-agent.js';
export { LlmAgent, type ModelReply, type ToolResult } from './agents/llm/llm-agent.js';
export { LlmClientOptionsSchema, type LlmClientOptions } from './agents/llm/client-options.js';
export { ModelTurnSchema, ToolCallSchema, UsageSchema, LogprobsSchema, AgentSetupSchema } from './agents/model-turn.js';
export type { ModelTurn, ToolCall, Usage, Logprobs, AgentSetup } from './agents/model-turn.js';
export { SYSTEM_PROMPT, NUDGE, executionResult, textToolsPrompt, systemPromptFor } from './agents/prompts.js';
// Replay: a recorded trajectory as an agent (its actions) and as a model (its replies), for unit tests.
export { ReplayAgent, replayFetch, replayEpisode, type ReplayMismatch } from './agents/replay.js';

// Built-in tasks
export {
  funcLocalizeTask,
  generateFuncLocalize,
  FuncLocalizeOptionsSchema,
  FuncLocalizeInstanceSchema,
  type FuncLocalizeOptions,
  type FuncLocalizeInstance,
  type FuncLocalizeTarget,
  type DescribeHook,
} from './tasks/func-localize/index.js';
export {
  funcGenTask,
  generateFuncGen,
  FuncGenOptionsSchema,
  FuncGenInstanceSchema,
  FuncGenTargetSchema,
  maskFunctionBody,
  FUNC_GEN_PLACEHOLDER,
  BODY_POLICY,
  checkBodyPolicy,
  type FuncGenOptions,
  type FuncGenInstance,
  type FuncGenTarget,
  type MaskResult,
  type MaskTarget,
  type GoldBody,
  type BodyPolicyRule,
  type BodyPolicyResult,
  type BodyPolicyViolation,
  type TestVerdict,
} from './tasks/func-gen/index.js';
export {
  issueLocalizeTask,
  generateIssueLocalize,
  generateSyntheticIssues,
  generateFromRows,
  readIssueRows,
  functionMutants,
  SyntheticIssueOptionsSchema,
  IssueRowsOptionsSchema,
  IssueRowSchema,
  IssueLocalizeInstanceSchema,
  SyntheticIssueInstanceSchema,
  RowIssueInstanceSchema,
  LocationSchema,
  MutationSchema,
  MUTATION_KINDS,
  type SyntheticIssueOptions,
  type IssueRowsOptions,
  type IssueRow,
  type Mutant,
  type DescribeBug,
  type IssueLocalizeInstance,
  type SyntheticIssueInstance,
  type RowIssueInstance,
  type Location,
  type Mutation,
  type MutationKind,
} from './tasks/issue-localize/index.js';
export { BUILTIN_TASKS } from './tasks/builtin.js';
export { rollout, summarize, isFailed, type RolloutOptions, type RolloutSummary, type EpisodeRecord } from './rollout/rollout.js';
export { readEpisodeFile, appendEpisode, isScored, isComplete, EpisodeSchema, FailedEpisodeSchema, EpisodeRecordSchema } from './rollout/episode-file.js';

// Trajectories as training data (`hybrid-gym export`): OpenAI chat messages, Hugging Face chat templates, OpenHands' text format, LLaMA-Factory's ShareGPT
export {
  exportEpisode,
  exportEpisodes,
  describeExport,
  EXPORT_FORMATS,
  toConversation,
  toOpenAI,
  toHf,
  toOpenHands,
  toShareGpt,
  renderTextCall,
  shareGptTools,
  type ExportFormat,
  type ExportOptions,
  type ExportEpisodesOptions,
  type ExportResult,
  type ExportRecord,
  type LeftOut,
  type FormatOptions,
  type ExportableEpisode,
  type Conversation,
  type ConversationCall,
  type ConversationMessage,
  type OpenAIChatRecord,
  type OpenAIChatMessage,
  type OpenAIToolCall,
  type HfChatRecord,
  type HfChatMessage,
  type HfToolCall,
  type OpenHandsRecord,
  type OpenHandsMessage,
  type ShareGptRecord,
  type ShareGptMessage,
  type ShareGptRole,
} from './rollout/export/index.js';
export {
  depSearchTask,
  DepSearchInstanceSchema,
  DepSearchOptionsSchema,
  type DepSearchInstance,
  type DepSearchOptions,
} from './tasks/dep-search/index.js';

// Test runs
export {
  pytestCheck,
  runPytest,
  parsePytestResults,
  buildTestMap,
  hashFiles,
  TestMapSchema,
  TestMapError,
  PytestCheckOptionsSchema,
  BuildTestMapOptionsSchema,
  TEST_OUTCOMES,
  type PytestCheck,
  type PytestCheckOptions,
  type PytestResults,
  type ResultsKey,
  type TestOutcome,
  type TestResult,
  type TestMap,
  type BuildTestMapOptions,
} from './testrun/index.js';

// Serving envs to other processes (OpenEnv's WebSocket protocol)
export {
  serve,
  ServeOptionsSchema,
  ERROR_CODES,
  ClientMessageSchema,
  ResetDataSchema,
  StepDataSchema,
  ActionSchema,
  ObservationSchema,
  ObservationDataSchema,
  StateSchema,
  serverSchemas,
  CLOSE_CODES,
  type ServeOptions,
  type EnvServer,
  type SessionEvent,
  type ErrorCode,
  type ClientMessage,
  type ServerMessage,
  type ObservationData,
  type SessionState,
} from './serve/index.js';
