/**
 * The whitespace the manifest collapses: the same class as the tasks layer's
 * ANSWER_WHITESPACE_CLASS (normalizeAnswerText), which this layer may not import (it sits below
 * tasks); a unit test keeps the two equal and runs both normalisations on the same texts.
 */
export const MANIFEST_WHITESPACE_CLASS = String.raw`[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]`;

/** Hex digits kept of each answer's sha256 (the tasks layer's ANSWER_HASH_LENGTH). */
export const MANIFEST_HASH_LENGTH = 16;

/** Extensions of the source files a manifest records (path, size, sha256); `.py` files are also parsed. */
export const MANIFEST_SOURCE_EXTENSIONS: readonly string[] = ['.py', '.pyi', '.pyx', '.pxd', '.pth'];

/** Archives whose Python members are recorded too (`archive!/member.py`): wheels, eggs, zips. */
export const MANIFEST_ARCHIVE_EXTENSIONS: readonly string[] = ['.whl', '.egg', '.zip', '.pyz'];

/**
 * The Python program that walks an image's file system and prints its manifest as JSON lines:
 * first `{"python": ..}`, then one line per source file `{"path","size","sha256","defs"?,"error"?}`
 * where each def is `[qualname, line, docstringHash | null, bodyHash | null]`. Docstrings are the
 * value CPython gives (`ast.get_docstring(clean=False)`); bodies are the source text from the first
 * statement after the docstring to the end of the last one. Both are normalised exactly as
 * normalizeAnswerText does (the same whitespace class, one space, none at the ends) and hashed
 * like answerHash. Run with `python3 -I -S -B -c <script> <workdir> [root...]` (roots default to `/`); it reads,
 * never writes.
 */
export const MANIFEST_SCRIPT = String.raw`
import ast, hashlib, json, os, re, stat, sys, zipfile

WS = re.compile(${JSON.stringify(MANIFEST_WHITESPACE_CLASS)} + '+')
SURROGATE = re.compile('[\ud800-\udfff]')
HASH_LEN = ${MANIFEST_HASH_LENGTH}
SOURCES = tuple(${JSON.stringify(MANIFEST_SOURCE_EXTENSIONS)})
ARCHIVES = tuple(${JSON.stringify(MANIFEST_ARCHIVE_EXTENSIONS)})
MAX_PARSE = 8 * 1024 * 1024
workdir = sys.argv[1] if len(sys.argv) > 1 else '/workspace'
ROOTS = sys.argv[2:] or ['/']
SKIP = {'/proc', '/sys', '/dev', workdir.rstrip('/') or '/'}
seen = set()

def normalize(text):
    text = WS.sub(' ', text)
    if text.startswith(' '):
        text = text[1:]
    if text.endswith(' '):
        text = text[:-1]
    return text

def answer_hash(text):
    # JavaScript encodes a lone surrogate as U+FFFD; do the same.
    return hashlib.sha256(SURROGATE.sub('\ufffd', normalize(text)).encode('utf-8')).hexdigest()[:HASH_LEN]

def segment(lines, first, last):
    if first.lineno == last.end_lineno:
        return lines[first.lineno - 1].encode('utf-8')[first.col_offset:last.end_col_offset].decode('utf-8', 'replace')
    head = lines[first.lineno - 1].encode('utf-8')[first.col_offset:].decode('utf-8', 'replace')
    tail = lines[last.end_lineno - 1].encode('utf-8')[:last.end_col_offset].decode('utf-8', 'replace')
    return '\n'.join([head] + lines[first.lineno:last.end_lineno - 1] + [tail])

def definitions(data):
    text = data.decode('utf-8')
    tree = ast.parse(text)
    lines = text.splitlines()
    out = []
    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                qualname = prefix + child.name
                doc = ast.get_docstring(child, clean=False)
                body = child.body
                if doc is not None:
                    body = body[1:]
                body_hash = None
                if body and not isinstance(child, ast.ClassDef):
                    body_hash = answer_hash(segment(lines, body[0], body[-1]))
                out.append([qualname, child.lineno, answer_hash(doc) if doc is not None else None, body_hash])
                inner = qualname + ('.' if isinstance(child, ast.ClassDef) else '.<locals>.')
                visit(child, inner)
            else:
                visit(child, prefix)
    visit(tree, '')
    return out

def record(path, data):
    entry = {'path': path, 'size': len(data), 'sha256': hashlib.sha256(data).hexdigest()}
    if path.endswith('.py') or path.endswith('.pyi'):
        if len(data) > MAX_PARSE:
            entry['error'] = 'too large to parse'
        else:
            try:
                entry['defs'] = definitions(data)
            except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError) as e:
                entry['error'] = type(e).__name__
    sys.stdout.write(json.dumps(entry, separators=(',', ':'), ensure_ascii=True) + '\n')

def archive(path):
    try:
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if info.filename.endswith(SOURCES) and info.file_size <= MAX_PARSE:
                    record(path + '!/' + info.filename, z.read(info))
    except Exception as e:
        sys.stdout.write(json.dumps({'path': path, 'size': os.path.getsize(path), 'sha256': '', 'error': 'archive: ' + type(e).__name__}) + '\n')

# --- walk --- (the definitions above are what the normalisation test runs)
sys.setrecursionlimit(10000)
sys.stdout.write(json.dumps({'python': sys.version.split()[0]}) + '\n')
for top in ROOTS:
  for root, dirs, files in os.walk(top):
    dirs[:] = sorted(d for d in dirs if os.path.join(root, d) not in SKIP)
    for name in sorted(files):
        path = os.path.join(root, name)
        if not name.endswith(SOURCES + ARCHIVES) or path in seen:
            continue
        seen.add(path)
        try:
            st = os.lstat(path)
            if not stat.S_ISREG(st.st_mode):
                continue
            if name.endswith(ARCHIVES):
                archive(path)
                continue
            with open(path, 'rb') as f:
                data = f.read()
        except OSError:
            continue
        record(path, data)
`;
