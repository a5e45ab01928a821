import { Field, InputType, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from '../../platform/graphql/scalars.js';
import { UsageDimension, UsageFilter } from '../analytics/usage.type.js';
import { EXPORT_FORMATS, EXPORT_KINDS } from './export-query.js';

const upper = <T extends string>(values: readonly T[]) => Object.fromEntries(values.map((v) => [v.toUpperCase(), v])) as { [K in T as Uppercase<K>]: K };

/** The GraphQL names (QUESTIONS, CSV) stand for the route's (questions, csv). */
export const ExportKind = upper(EXPORT_KINDS);
export const ExportFormat = upper(EXPORT_FORMATS);

registerEnumType(ExportKind, { name: 'ExportKind', description: 'What GET /export/<kind>.<format> exports.' });
registerEnumType(ExportFormat, { name: 'ExportFormat', description: 'CSV (a header row, formula-safe cells) or JSON Lines.' });

@InputType({ description: "The usage export's range, groups and filter, as Query.usage takes them." })
export class UsageExportInput {
  @Field(() => DateTimeScalar, { nullable: true })
  from?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  to?: Date | null;

  @Field(() => [UsageDimension], { nullable: true })
  groupBy?: UsageDimension[] | null;

  @Field(() => UsageFilter, { nullable: true })
  filter?: UsageFilter | null;
}
