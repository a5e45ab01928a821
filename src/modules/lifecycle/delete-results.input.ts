import { Field, InputType } from 'type-graphql';
import { CaptionFilter, QuestionFilter } from '../answers/filters.input.js';

@InputType({ description: 'Which stored results deleteResults removes: per kind, the filter of its list (captions, questions). A kind left out is not touched; {} means all of that kind.' })
export class DeleteResultsFilter {
  @Field(() => CaptionFilter, { nullable: true, description: 'Delete the captions that captions(filter: …) lists.' })
  captions?: CaptionFilter | null;

  @Field(() => QuestionFilter, { nullable: true, description: 'Delete the questions that questions(filter: …) lists.' })
  questions?: QuestionFilter | null;
}
