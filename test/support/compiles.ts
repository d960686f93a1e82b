import * as path from 'path';
import * as ts from 'typescript';

/**
 * Type-checks TypeScript snippets as a user's app would see the library: `import { Job } from 'cdk-batch-pipelines'`
 * resolves to the real lib/ sources, with the compiler options of tsconfig.json. All snippets go into ONE program
 * (building one loads aws-cdk-lib's declarations, a few seconds), so a test file calls this once, in `beforeAll`, with
 * every snippet it needs.
 *
 * Returns each snippet's diagnostics as text (`line: message`); an empty list means it compiles.
 */
export function typeCheck(snippets: Record<string, string>): Record<string, string[]> {
  const root = path.resolve(__dirname, '..', '..');
  const configPath = path.join(root, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  if (config.error) {
    throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  }
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root, undefined, configPath);
  const options: ts.CompilerOptions = {
    ...parsed.options,
    noEmit: true,
    // A snippet shows one use of the API; its unused locals are not what is checked.
    noUnusedLocals: false,
    noUnusedParameters: false,
    baseUrl: root,
    paths: { 'cdk-batch-pipelines': ['lib/index.ts'] },
  };

  const dir = path.join(root, 'test', '__snippets__');
  const files = new Map<string, string>();
  const names = new Map<string, string>();
  Object.entries(snippets).forEach(([name, code], i) => {
    const file = path.join(dir, `snippet${i}.ts`);
    files.set(file, code);
    names.set(file, name);
  });

  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const code = files.get(path.resolve(fileName));
    return code !== undefined
      ? ts.createSourceFile(fileName, code, languageVersion, true)
      : getSourceFile(fileName, languageVersion, onError, shouldCreate);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (f) => files.has(path.resolve(f)) || fileExists(f);
  const readFile = host.readFile.bind(host);
  host.readFile = (f) => files.get(path.resolve(f)) ?? readFile(f);

  const program = ts.createProgram([...files.keys()], options, host);
  const result: Record<string, string[]> = {};
  for (const [file, name] of names) {
    const source = program.getSourceFile(file)!;
    const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
    result[name] = diagnostics.map((d) => {
      const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line + 1;
      return `${line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
  }
  return result;
}

/** The code between the first pair of backticks in `message` (how messages quote the code of a fix). */
export function quotedCode(message: string): string {
  const match = /`([^`]+)`/.exec(message);
  if (!match) {
    throw new Error(`no quoted code in: ${message}`);
  }
  return match[1];
}
