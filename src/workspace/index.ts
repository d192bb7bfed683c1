export { loadRepoFiles, diffFiles, IGNORED_DIRS, type WorkspaceFiles } from './files.js';
export { installWorkspace, readWorkspace } from './sandbox-workspace.js';
