// The prompts the model reads for each tool: our own words, close in meaning to OpenHands' CodeAct tools.

export const BASH_DESCRIPTION = `Run a bash command in a terminal that keeps its state between calls.

### Running commands
* One command per call. To run several in sequence, chain them with \`&&\` or \`;\`.
* The session persists: the working directory, exported environment variables and activated virtual environments carry over to later commands.
* A command that prints nothing new for a while returns early with exit code \`-1\`: it is still running and you decide what happens next (see below).
* \`timeout\` sets a hard limit in seconds: the call waits for the command that long without returning early, and stops the command when the limit is reached.

### Long-running and interactive processes
* For commands that may run indefinitely (servers, watchers), start them in the background with output sent to a file, e.g. \`python3 app.py > server.log 2>&1 &\`.
* When a command returned exit code \`-1\` it still runs, and you can:
  - send an empty \`command\` to see the output it produced since,
  - set \`is_input\` to \`true\` and put text in \`command\` to type it (followed by Enter) into the process' standard input,
  - set \`is_input\` to \`true\` with \`command\` \`C-c\` (Ctrl+C), \`C-d\` (Ctrl+D) or \`C-z\` (Ctrl+Z) to interrupt or stop it.
* While a command runs, a new command is not executed: interact with the running one or interrupt it first.

### Good practice
* Before creating files or directories, check that the parent directory exists and is the right place.
* Prefer absolute paths over frequent \`cd\`.

### Output
* Long output is cut in the middle: the beginning and the end are kept, with a note of how much was left out.`;

export const EDITOR_DESCRIPTION = `Editor for viewing, creating and editing plain-text files.
* Edits persist across calls.
* \`view\` on a file shows it numbered like \`cat -n\` (optionally only \`view_range\`); on a directory it lists files and directories up to 2 levels deep, leaving out hidden ones.
* \`create\` writes a new file and refuses to overwrite a file that already exists.
* \`str_replace\` replaces \`old_str\` with \`new_str\`; \`insert\` adds \`new_str\` after line \`insert_line\`.
* \`undo_edit\` reverts the last \`str_replace\` or \`insert\` made to the file at \`path\`.
* Long output is cut in the middle, with a note of how much was left out.

Before editing:
1. View the file to understand its contents and context.
2. When creating a file, make sure its parent directory is the right place.

When editing:
* Keep the code correct and idiomatic; do not leave it broken.
* Always give absolute paths (starting with \`/\`).

Rules for \`str_replace\`:
1. EXACT MATCH: \`old_str\` must match one or more consecutive lines of the file exactly, including every space, tab and indentation. Line numbers shown by \`view\` are not part of the file.
2. UNIQUE: \`old_str\` must occur exactly once. Include enough surrounding lines (3 to 5 are usually enough) to make it unique; otherwise nothing is replaced.
3. \`new_str\` holds the lines that replace \`old_str\`; the two must differ.`;

export const THINK_DESCRIPTION = `Write down a thought. It changes nothing in the workspace and fetches no new information: it only records your reasoning.

Useful for:
1. Weighing several possible causes of a bug and picking the most likely ones.
2. Planning a change or a refactoring before making it.
3. Sorting out what test results or command output mean.
4. Comparing design options and their trade-offs.`;

export const FINISH_DESCRIPTION = `Signal that you are done: call it when the task is complete, or when you cannot make further progress.

Include in \`message\` a short summary of what you did and, if the task is not fully solved, what is missing. After this call no more actions are taken.`;
