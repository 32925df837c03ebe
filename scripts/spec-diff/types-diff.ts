/**
 * Which exported client types change: generates generated/schema.ts's text for both versions
 * (scripts/generate.ts `generateTypes`, same options) and compares them declaration by declaration
 * with the TypeScript compiler's parser. Each `components.schemas` member is reported under its root
 * type name (`ReferralUpsertLinkRequest`), each `components.responses` member as `Response<Name>`,
 * each operation as `operations["<id>"]`, and every other top-level export (`paths`,
 * `clinicTypeValues`, …) by name. JSDoc is ignored: a reworded description is not a type change.
 */
import ts from 'typescript';
import { generateTypes } from '../generate.ts';
import type { OpenApiDoc } from './rules.ts';

/** Names of exported types whose shape differs between two versions. */
export interface TypeChanges {
  /** Present in both, with a different shape. */
  changed: string[];
  /** Only in the new version. */
  added: string[];
  /** Only in the old version (callers importing them stop compiling). */
  removed: string[];
}

const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });

/** Declaration name → printed text (comments removed) for one generated schema.ts. */
export function exportedShapes(source: string): Map<string, string> {
  const file = ts.createSourceFile('schema.ts', source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const shapes = new Map<string, string>();
  const print = (node: ts.Node): string => printer.printNode(ts.EmitHint.Unspecified, node, file);
  const members = (node: ts.InterfaceDeclaration | ts.TypeLiteralNode, name: string): ts.TypeElement[] => {
    const prop = node.members.find((m) => m.name && ts.isIdentifier(m.name) && m.name.text === name);
    return prop && ts.isPropertySignature(prop) && prop.type && ts.isTypeLiteralNode(prop.type) ? [...prop.type.members] : [];
  };
  const memberName = (m: ts.TypeElement): string =>
    m.name && (ts.isIdentifier(m.name) || ts.isStringLiteral(m.name)) ? m.name.text : print(m);

  for (const statement of file.statements) {
    const exported = ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (!exported) continue;
    if (ts.isInterfaceDeclaration(statement) && statement.name.text === 'components') {
      // The root aliases (`export type Address = components['schemas']['Address']`) never change
      // text; what they point at does, so each component is compared on its own.
      for (const m of members(statement, 'schemas')) shapes.set(memberName(m), print(m));
      for (const m of members(statement, 'responses')) shapes.set(`Response${memberName(m)}`, print(m));
      continue;
    }
    if (ts.isInterfaceDeclaration(statement) && statement.name.text === 'operations') {
      for (const m of statement.members) shapes.set(`operations["${memberName(m)}"]`, print(m));
      continue;
    }
    if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) shapes.set(d.name.getText(file), print(d));
      continue;
    }
    const name = (statement as ts.DeclarationStatement).name;
    if (name && ts.isIdentifier(name)) {
      // Root aliases of components are covered by the component itself (same name).
      if (!shapes.has(name.text)) shapes.set(name.text, print(statement));
    }
  }
  return shapes;
}

/** Compares the generated client types of two bundled documents. */
export async function compareTypes(base: OpenApiDoc, head: OpenApiDoc): Promise<TypeChanges> {
  const [before, after] = await Promise.all([generateTypes(base), generateTypes(head)]);
  const b = exportedShapes(before);
  const a = exportedShapes(after);
  return {
    changed: [...a.keys()].filter((k) => b.has(k) && b.get(k) !== a.get(k)).sort(),
    added: [...a.keys()].filter((k) => !b.has(k)).sort(),
    removed: [...b.keys()].filter((k) => !a.has(k)).sort(),
  };
}
