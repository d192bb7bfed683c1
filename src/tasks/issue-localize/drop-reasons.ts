/** Why a synthetic candidate was dropped, as generation reports it (`onDropped`, the CLI's stderr). */
export const SYNTHETIC_DROP_REASONS = {
  image: 'its function is in image',
  imageModule: 'a copy of its module (another version, say) is in image',
  workspace: 'its function is elsewhere in the repository',
  uncaught: 'no test catches the bug',
  hangs: 'the bug hangs or crashes the tests',
  'fails-alone': 'the tests that catch the bug fail on the original when run on their own',
  'no-text': 'no issue text could be written without giving the bug away',
} as const;
