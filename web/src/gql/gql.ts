/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment UsageFields on Usage {\n    promptTokens\n    completionTokens\n    totalTokens\n    cachedTokens\n    cost {\n      amount\n      currency\n    }\n  }\n": typeof types.UsageFieldsFragmentDoc,
    "\n  fragment CaptionFields on Caption {\n    id\n    style\n    text\n    model\n    cached\n    latencyMs\n    createdAt\n    usage {\n      ...UsageFields\n    }\n  }\n": typeof types.CaptionFieldsFragmentDoc,
    "\n  fragment QuestionFields on Question {\n    id\n    prompt\n    answer\n    model\n    cached\n    latencyMs\n    createdAt\n    usage {\n      ...UsageFields\n    }\n  }\n": typeof types.QuestionFieldsFragmentDoc,
    "\n  query ImageGrid($first: Int!, $after: String, $size: Int!) {\n    images(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          width\n          height\n          createdAt\n          thumbnailUrl(size: $size)\n          captions {\n            id\n            style\n            text\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.ImageGridDocument,
    "\n  mutation UploadImage($file: Upload!) {\n    uploadImage(file: $file) {\n      id\n      width\n      height\n    }\n  }\n": typeof types.UploadImageDocument,
    "\n  query ImageDetail($id: ID!) {\n    image(id: $id) {\n      id\n      sha256\n      mimeType\n      width\n      height\n      byteSize\n      createdAt\n      url\n      captions {\n        ...CaptionFields\n      }\n      questions {\n        ...QuestionFields\n      }\n    }\n  }\n": typeof types.ImageDetailDocument,
    "\n  query BriefCaption($id: ID!) {\n    image(id: $id) {\n      id\n      caption(style: BRIEF) {\n        ...CaptionFields\n      }\n    }\n  }\n": typeof types.BriefCaptionDocument,
    "\n  mutation CaptionImage($imageId: ID!, $style: CaptionStyle!, $refresh: Boolean) {\n    captionImage(imageId: $imageId, style: $style, refresh: $refresh) {\n      ...CaptionFields\n    }\n  }\n": typeof types.CaptionImageDocument,
    "\n  subscription AnswerStream($imageId: ID!, $question: String!, $refresh: Boolean) {\n    answerStream(imageId: $imageId, question: $question, refresh: $refresh) {\n      delta\n      answer {\n        ...QuestionFields\n      }\n    }\n  }\n": typeof types.AnswerStreamDocument,
    "\n  fragment JobFields on Job {\n    id\n    status\n    total\n    done\n    failed\n    error\n    createdAt\n    startedAt\n    finishedAt\n  }\n": typeof types.JobFieldsFragmentDoc,
    "\n  mutation SubmitAnalysis($input: AnalysisInput!) {\n    submitAnalysis(input: $input) {\n      ...JobFields\n    }\n  }\n": typeof types.SubmitAnalysisDocument,
    "\n  subscription JobUpdated($id: ID!) {\n    jobUpdated(id: $id) {\n      ...JobFields\n      items {\n        id\n        kind\n        style\n        prompt\n        status\n        errorCode\n        error\n        image {\n          id\n          thumbnailUrl(size: 96)\n          captions {\n            id\n            style\n            text\n          }\n        }\n        caption {\n          id\n          text\n        }\n        question {\n          id\n          answer\n        }\n      }\n    }\n  }\n": typeof types.JobUpdatedDocument,
    "\n  mutation CancelJob($id: ID!) {\n    cancelJob(id: $id) {\n      ...JobFields\n    }\n  }\n": typeof types.CancelJobDocument,
    "\n  query RecentJobs {\n    jobs(first: 10) {\n      edges {\n        node {\n          ...JobFields\n        }\n      }\n    }\n  }\n": typeof types.RecentJobsDocument,
    "\n  query QuestionRows($filter: QuestionFilter, $first: Int!, $after: String) {\n    questions(filter: $filter, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...QuestionFields\n          image {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n": typeof types.QuestionRowsDocument,
    "\n  query CaptionRows($filter: CaptionFilter, $first: Int!, $after: String) {\n    captions(filter: $filter, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...CaptionFields\n          image {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n": typeof types.CaptionRowsDocument,
    "\n  query ExportUrl($kind: ExportKind!, $format: ExportFormat!, $questions: QuestionFilter, $captions: CaptionFilter, $moderations: ModerationFilter, $usage: UsageExportInput) {\n    exportUrl(kind: $kind, format: $format, questions: $questions, captions: $captions, moderations: $moderations, usage: $usage)\n  }\n": typeof types.ExportUrlDocument,
    "\n  fragment MessageFields on Message {\n    id\n    role\n    text\n    model\n    latencyMs\n    createdAt\n    usage {\n      ...UsageFields\n    }\n  }\n": typeof types.MessageFieldsFragmentDoc,
    "\n  query ConversationList($first: Int!, $after: String, $size: Int!) {\n    conversations(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          title\n          createdAt\n          updatedAt\n          usage {\n            totalTokens\n          }\n          images {\n            id\n            thumbnailUrl(size: $size)\n          }\n          messages(first: 1) {\n            edges {\n              node {\n                id\n                text\n              }\n            }\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.ConversationListDocument,
    "\n  query ConversationDetail($id: ID!, $first: Int!, $after: String) {\n    conversation(id: $id) {\n      id\n      title\n      createdAt\n      usage {\n        ...UsageFields\n      }\n      images {\n        id\n        width\n        height\n        thumbnailUrl(size: 96)\n        captions {\n          id\n          style\n          text\n        }\n      }\n      messages(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            ...MessageFields\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": typeof types.ConversationDetailDocument,
    "\n  mutation StartConversation($imageIds: [ID!]!, $title: String) {\n    startConversation(imageIds: $imageIds, title: $title) {\n      id\n    }\n  }\n": typeof types.StartConversationDocument,
    "\n  subscription MessageStream($conversationId: ID!, $text: String!) {\n    messageStream(conversationId: $conversationId, text: $text) {\n      delta\n      message {\n        ...MessageFields\n      }\n    }\n  }\n": typeof types.MessageStreamDocument,
    "\n  mutation DeleteConversation($id: ID!) {\n    deleteConversation(id: $id)\n  }\n": typeof types.DeleteConversationDocument,
    "\n  fragment ModerationFields on Moderation {\n    id\n    flagged\n    categories\n    rationale\n    model\n    cached\n    latencyMs\n    createdAt\n    usage {\n      ...UsageFields\n    }\n  }\n": typeof types.ModerationFieldsFragmentDoc,
    "\n  fragment TextFields on ImageText {\n    id\n    text\n    language\n    model\n    cached\n    latencyMs\n    createdAt\n    usage {\n      ...UsageFields\n    }\n  }\n": typeof types.TextFieldsFragmentDoc,
    "\n  fragment DetectionFields on Detection {\n    id\n    objects {\n      label\n      box {\n        x\n        y\n        width\n        height\n      }\n    }\n    model\n    cached\n    latencyMs\n    createdAt\n    usage {\n      ...UsageFields\n    }\n  }\n": typeof types.DetectionFieldsFragmentDoc,
    "\n  query ImageStoredVision($imageId: ID!) {\n    moderations(first: 1, filter: { imageId: $imageId }) {\n      edges {\n        node {\n          ...ModerationFields\n        }\n      }\n    }\n    texts(first: 1, filter: { imageId: $imageId }) {\n      edges {\n        node {\n          ...TextFields\n        }\n      }\n    }\n    detections(first: 1, filter: { imageId: $imageId }) {\n      edges {\n        node {\n          ...DetectionFields\n        }\n      }\n    }\n  }\n": typeof types.ImageStoredVisionDocument,
    "\n  query NearDuplicates($id: ID!) {\n    image(id: $id) {\n      id\n      nearDuplicates(first: 12) {\n        id\n        width\n        height\n        thumbnailUrl(size: 128)\n      }\n    }\n  }\n": typeof types.NearDuplicatesDocument,
    "\n  mutation ModerateImage($imageId: ID!, $refresh: Boolean) {\n    moderateImage(imageId: $imageId, refresh: $refresh) {\n      ...ModerationFields\n    }\n  }\n": typeof types.ModerateImageDocument,
    "\n  query ReadText($id: ID!, $refresh: Boolean) {\n    image(id: $id) {\n      id\n      text(refresh: $refresh) {\n        ...TextFields\n      }\n    }\n  }\n": typeof types.ReadTextDocument,
    "\n  query DetectObjects($id: ID!, $refresh: Boolean) {\n    image(id: $id) {\n      id\n      objects(refresh: $refresh) {\n        ...DetectionFields\n      }\n    }\n  }\n": typeof types.DetectObjectsDocument,
    "\n  query ModerationRows($filter: ModerationFilter, $first: Int!, $after: String) {\n    moderations(filter: $filter, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...ModerationFields\n          image {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n": typeof types.ModerationRowsDocument,
    "\n  query TextRows($filter: ImageTextFilter, $first: Int!, $after: String) {\n    texts(filter: $filter, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...TextFields\n          image {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n": typeof types.TextRowsDocument,
    "\n  query DetectionRows($filter: DetectionFilter, $first: Int!, $after: String) {\n    detections(filter: $filter, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...DetectionFields\n          image {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n": typeof types.DetectionRowsDocument,
    "\n  query UsageBuckets($from: DateTime, $to: DateTime, $groupBy: [UsageDimension!]) {\n    usage(from: $from, to: $to, groupBy: $groupBy) {\n      day\n      hour\n      model\n      kind\n      apiKeyId\n      tenant\n      match\n      calls\n      results\n      promptTokens\n      completionTokens\n      totalTokens\n      cacheHits\n      tokensSaved\n      cost {\n        amount\n        currency\n      }\n      costSaved {\n        amount\n        currency\n      }\n    }\n  }\n": typeof types.UsageBucketsDocument,
    "\n  query KeyCheck {\n    __typename\n  }\n": typeof types.KeyCheckDocument,
};
const documents: Documents = {
    "\n  fragment UsageFields on Usage {\n    promptTokens\n    completionTokens\n    totalTokens\n    cachedTokens\n    cost {\n      amount\n      currency\n    }\n  }\n": types.UsageFieldsFragmentDoc,
    "\n  fragment CaptionFields on Caption {\n    id\n    style\n    text\n    model\n    cached\n    latencyMs\n    createdAt\n    usage {\n      ...UsageFields\n    }\n  }\n": types.CaptionFieldsFragmentDoc,
    "\n  fragment QuestionFields on Question {\n    id\n    prompt\n    answer\n    model\n    cached\n    latencyMs\n    createdAt\n    usage {\n      ...UsageFields\n    }\n  }\n": types.QuestionFieldsFragmentDoc,
    "\n  query ImageGrid($first: Int!, $after: String, $size: Int!) {\n    images(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          width\n          height\n          createdAt\n          thumbnailUrl(size: $size)\n          captions {\n            id\n            style\n            text\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.ImageGridDocument,
    "\n  mutation UploadImage($file: Upload!) {\n    uploadImage(file: $file) {\n      id\n      width\n      height\n    }\n  }\n": types.UploadImageDocument,
    "\n  query ImageDetail($id: ID!) {\n    image(id: $id) {\n      id\n      sha256\n      mimeType\n      width\n      height\n      byteSize\n      createdAt\n      url\n      captions {\n        ...CaptionFields\n      }\n      questions {\n        ...QuestionFields\n      }\n    }\n  }\n": types.ImageDetailDocument,
    "\n  query BriefCaption($id: ID!) {\n    image(id: $id) {\n      id\n      caption(style: BRIEF) {\n        ...CaptionFields\n      }\n    }\n  }\n": types.BriefCaptionDocument,
    "\n  mutation CaptionImage($imageId: ID!, $style: CaptionStyle!, $refresh: Boolean) {\n    captionImage(imageId: $imageId, style: $style, refresh: $refresh) {\n      ...CaptionFields\n    }\n  }\n": types.CaptionImageDocument,
    "\n  subscription AnswerStream($imageId: ID!, $question: String!, $refresh: Boolean) {\n    answerStream(imageId: $imageId, question: $question, refresh: $refresh) {\n      delta\n      answer {\n        ...QuestionFields\n      }\n    }\n  }\n": types.AnswerStreamDocument,
    "\n  fragment JobFields on Job {\n    id\n    status\n    total\n    done\n    failed\n    error\n    createdAt\n    startedAt\n    finishedAt\n  }\n": types.JobFieldsFragmentDoc,
    "\n  mutation SubmitAnalysis($input: AnalysisInput!) {\n    submitAnalysis(input: $input) {\n      ...JobFields\n    }\n  }\n": types.SubmitAnalysisDocument,
    "\n  subscription JobUpdated($id: ID!) {\n    jobUpdated(id: $id) {\n      ...JobFields\n      items {\n        id\n        kind\n        style\n        prompt\n        status\n        errorCode\n        error\n        image {\n          id\n          thumbnailUrl(size: 96)\n          captions {\n            id\n            style\n            text\n          }\n        }\n        caption {\n          id\n          text\n        }\n        question {\n          id\n          answer\n        }\n      }\n    }\n  }\n": types.JobUpdatedDocument,
    "\n  mutation CancelJob($id: ID!) {\n    cancelJob(id: $id) {\n      ...JobFields\n    }\n  }\n": types.CancelJobDocument,
    "\n  query RecentJobs {\n    jobs(first: 10) {\n      edges {\n        node {\n          ...JobFields\n        }\n      }\n    }\n  }\n": types.RecentJobsDocument,
    "\n  query QuestionRows($filter: QuestionFilter, $first: Int!, $after: String) {\n    questions(filter: $filter, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...QuestionFields\n          image {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n": types.QuestionRowsDocument,
    "\n  query CaptionRows($filter: CaptionFilter, $first: Int!, $after: String) {\n    captions(filter: $filter, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...CaptionFields\n          image {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n": types.CaptionRowsDocument,
    "\n  query ExportUrl($kind: ExportKind!, $format: ExportFormat!, $questions: QuestionFilter, $captions: CaptionFilter, $moderations: ModerationFilter, $usage: UsageExportInput) {\n    exportUrl(kind: $kind, format: $format, questions: $questions, captions: $captions, moderations: $moderations, usage: $usage)\n  }\n": types.ExportUrlDocument,
    "\n  fragment MessageFields on Message {\n    id\n    role\n    text\n    model\n    latencyMs\n    createdAt\n    usage {\n      ...UsageFields\n    }\n  }\n": types.MessageFieldsFragmentDoc,
    "\n  query ConversationList($first: Int!, $after: String, $size: Int!) {\n    conversations(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          title\n          createdAt\n          updatedAt\n          usage {\n            totalTokens\n          }\n          images {\n            id\n            thumbnailUrl(size: $size)\n          }\n          messages(first: 1) {\n            edges {\n              node {\n                id\n                text\n              }\n            }\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.ConversationListDocument,
    "\n  query ConversationDetail($id: ID!, $first: Int!, $after: String) {\n    conversation(id: $id) {\n      id\n      title\n      createdAt\n      usage {\n        ...UsageFields\n      }\n      images {\n        id\n        width\n        height\n        thumbnailUrl(size: 96)\n        captions {\n          id\n          style\n          text\n        }\n      }\n      messages(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            ...MessageFields\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": types.ConversationDetailDocument,
    "\n  mutation StartConversation($imageIds: [ID!]!, $title: String) {\n    startConversation(imageIds: $imageIds, title: $title) {\n      id\n    }\n  }\n": types.StartConversationDocument,
    "\n  subscription MessageStream($conversationId: ID!, $text: String!) {\n    messageStream(conversationId: $conversationId, text: $text) {\n      delta\n      message {\n        ...MessageFields\n      }\n    }\n  }\n": types.MessageStreamDocument,
    "\n  mutation DeleteConversation($id: ID!) {\n    deleteConversation(id: $id)\n  }\n": types.DeleteConversationDocument,
    "\n  fragment ModerationFields on Moderation {\n    id\n    flagged\n    categories\n    rationale\n    model\n    cached\n    latencyMs\n    createdAt\n    usage {\n      ...UsageFields\n    }\n  }\n": types.ModerationFieldsFragmentDoc,
    "\n  fragment TextFields on ImageText {\n    id\n    text\n    language\n    model\n    cached\n    latencyMs\n    createdAt\n    usage {\n      ...UsageFields\n    }\n  }\n": types.TextFieldsFragmentDoc,
    "\n  fragment DetectionFields on Detection {\n    id\n    objects {\n      label\n      box {\n        x\n        y\n        width\n        height\n      }\n    }\n    model\n    cached\n    latencyMs\n    createdAt\n    usage {\n      ...UsageFields\n    }\n  }\n": types.DetectionFieldsFragmentDoc,
    "\n  query ImageStoredVision($imageId: ID!) {\n    moderations(first: 1, filter: { imageId: $imageId }) {\n      edges {\n        node {\n          ...ModerationFields\n        }\n      }\n    }\n    texts(first: 1, filter: { imageId: $imageId }) {\n      edges {\n        node {\n          ...TextFields\n        }\n      }\n    }\n    detections(first: 1, filter: { imageId: $imageId }) {\n      edges {\n        node {\n          ...DetectionFields\n        }\n      }\n    }\n  }\n": types.ImageStoredVisionDocument,
    "\n  query NearDuplicates($id: ID!) {\n    image(id: $id) {\n      id\n      nearDuplicates(first: 12) {\n        id\n        width\n        height\n        thumbnailUrl(size: 128)\n      }\n    }\n  }\n": types.NearDuplicatesDocument,
    "\n  mutation ModerateImage($imageId: ID!, $refresh: Boolean) {\n    moderateImage(imageId: $imageId, refresh: $refresh) {\n      ...ModerationFields\n    }\n  }\n": types.ModerateImageDocument,
    "\n  query ReadText($id: ID!, $refresh: Boolean) {\n    image(id: $id) {\n      id\n      text(refresh: $refresh) {\n        ...TextFields\n      }\n    }\n  }\n": types.ReadTextDocument,
    "\n  query DetectObjects($id: ID!, $refresh: Boolean) {\n    image(id: $id) {\n      id\n      objects(refresh: $refresh) {\n        ...DetectionFields\n      }\n    }\n  }\n": types.DetectObjectsDocument,
    "\n  query ModerationRows($filter: ModerationFilter, $first: Int!, $after: String) {\n    moderations(filter: $filter, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...ModerationFields\n          image {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n": types.ModerationRowsDocument,
    "\n  query TextRows($filter: ImageTextFilter, $first: Int!, $after: String) {\n    texts(filter: $filter, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...TextFields\n          image {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n": types.TextRowsDocument,
    "\n  query DetectionRows($filter: DetectionFilter, $first: Int!, $after: String) {\n    detections(filter: $filter, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...DetectionFields\n          image {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n": types.DetectionRowsDocument,
    "\n  query UsageBuckets($from: DateTime, $to: DateTime, $groupBy: [UsageDimension!]) {\n    usage(from: $from, to: $to, groupBy: $groupBy) {\n      day\n      hour\n      model\n      kind\n      apiKeyId\n      tenant\n      match\n      calls\n      results\n      promptTokens\n      completionTokens\n      totalTokens\n      cacheHits\n      tokensSaved\n      cost {\n        amount\n        currency\n      }\n      costSaved {\n        amount\n        currency\n      }\n    }\n  }\n": types.UsageBucketsDocument,
    "\n  query KeyCheck {\n    __typename\n  }\n": types.KeyCheckDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment UsageFields on Usage {\n    promptTokens\n    completionTokens\n    totalTokens\n    cachedTokens\n    cost {\n      amount\n      currency\n    }\n  }\n"): (typeof documents)["\n  fragment UsageFields on Usage {\n    promptTokens\n    completionTokens\n    totalTokens\n    cachedTokens\n    cost {\n      amount\n      currency\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment CaptionFields on Caption {\n    id\n    style\n    text\n    model\n    cached\n    latencyMs\n    createdAt\n    usage {\n      ...UsageFields\n    }\n  }\n"): (typeof documents)["\n  fragment CaptionFields on Caption {\n    id\n    style\n    text\n    model\n    cached\n    latencyMs\n    createdAt\n    usage {\n      ...UsageFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment QuestionFields on Question {\n    id\n    prompt\n    answer\n    model\n    cached\n    latencyMs\n    createdAt\n    usage {\n      ...UsageFields\n    }\n  }\n"): (typeof documents)["\n  fragment QuestionFields on Question {\n    id\n    prompt\n    answer\n    model\n    cached\n    latencyMs\n    createdAt\n    usage {\n      ...UsageFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ImageGrid($first: Int!, $after: String, $size: Int!) {\n    images(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          width\n          height\n          createdAt\n          thumbnailUrl(size: $size)\n          captions {\n            id\n            style\n            text\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query ImageGrid($first: Int!, $after: String, $size: Int!) {\n    images(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          width\n          height\n          createdAt\n          thumbnailUrl(size: $size)\n          captions {\n            id\n            style\n            text\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UploadImage($file: Upload!) {\n    uploadImage(file: $file) {\n      id\n      width\n      height\n    }\n  }\n"): (typeof documents)["\n  mutation UploadImage($file: Upload!) {\n    uploadImage(file: $file) {\n      id\n      width\n      height\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ImageDetail($id: ID!) {\n    image(id: $id) {\n      id\n      sha256\n      mimeType\n      width\n      height\n      byteSize\n      createdAt\n      url\n      captions {\n        ...CaptionFields\n      }\n      questions {\n        ...QuestionFields\n      }\n    }\n  }\n"): (typeof documents)["\n  query ImageDetail($id: ID!) {\n    image(id: $id) {\n      id\n      sha256\n      mimeType\n      width\n      height\n      byteSize\n      createdAt\n      url\n      captions {\n        ...CaptionFields\n      }\n      questions {\n        ...QuestionFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BriefCaption($id: ID!) {\n    image(id: $id) {\n      id\n      caption(style: BRIEF) {\n        ...CaptionFields\n      }\n    }\n  }\n"): (typeof documents)["\n  query BriefCaption($id: ID!) {\n    image(id: $id) {\n      id\n      caption(style: BRIEF) {\n        ...CaptionFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CaptionImage($imageId: ID!, $style: CaptionStyle!, $refresh: Boolean) {\n    captionImage(imageId: $imageId, style: $style, refresh: $refresh) {\n      ...CaptionFields\n    }\n  }\n"): (typeof documents)["\n  mutation CaptionImage($imageId: ID!, $style: CaptionStyle!, $refresh: Boolean) {\n    captionImage(imageId: $imageId, style: $style, refresh: $refresh) {\n      ...CaptionFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription AnswerStream($imageId: ID!, $question: String!, $refresh: Boolean) {\n    answerStream(imageId: $imageId, question: $question, refresh: $refresh) {\n      delta\n      answer {\n        ...QuestionFields\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription AnswerStream($imageId: ID!, $question: String!, $refresh: Boolean) {\n    answerStream(imageId: $imageId, question: $question, refresh: $refresh) {\n      delta\n      answer {\n        ...QuestionFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment JobFields on Job {\n    id\n    status\n    total\n    done\n    failed\n    error\n    createdAt\n    startedAt\n    finishedAt\n  }\n"): (typeof documents)["\n  fragment JobFields on Job {\n    id\n    status\n    total\n    done\n    failed\n    error\n    createdAt\n    startedAt\n    finishedAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SubmitAnalysis($input: AnalysisInput!) {\n    submitAnalysis(input: $input) {\n      ...JobFields\n    }\n  }\n"): (typeof documents)["\n  mutation SubmitAnalysis($input: AnalysisInput!) {\n    submitAnalysis(input: $input) {\n      ...JobFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription JobUpdated($id: ID!) {\n    jobUpdated(id: $id) {\n      ...JobFields\n      items {\n        id\n        kind\n        style\n        prompt\n        status\n        errorCode\n        error\n        image {\n          id\n          thumbnailUrl(size: 96)\n          captions {\n            id\n            style\n            text\n          }\n        }\n        caption {\n          id\n          text\n        }\n        question {\n          id\n          answer\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription JobUpdated($id: ID!) {\n    jobUpdated(id: $id) {\n      ...JobFields\n      items {\n        id\n        kind\n        style\n        prompt\n        status\n        errorCode\n        error\n        image {\n          id\n          thumbnailUrl(size: 96)\n          captions {\n            id\n            style\n            text\n          }\n        }\n        caption {\n          id\n          text\n        }\n        question {\n          id\n          answer\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CancelJob($id: ID!) {\n    cancelJob(id: $id) {\n      ...JobFields\n    }\n  }\n"): (typeof documents)["\n  mutation CancelJob($id: ID!) {\n    cancelJob(id: $id) {\n      ...JobFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RecentJobs {\n    jobs(first: 10) {\n      edges {\n        node {\n          ...JobFields\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query RecentJobs {\n    jobs(first: 10) {\n      edges {\n        node {\n          ...JobFields\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query QuestionRows($filter: QuestionFilter, $first: Int!, $after: String) {\n    questions(filter: $filter, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...QuestionFields\n          image {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n"): (typeof documents)["\n  query QuestionRows($filter: QuestionFilter, $first: Int!, $after: String) {\n    questions(filter: $filter, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...QuestionFields\n          image {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CaptionRows($filter: CaptionFilter, $first: Int!, $after: String) {\n    captions(filter: $filter, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...CaptionFields\n          image {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n"): (typeof documents)["\n  query CaptionRows($filter: CaptionFilter, $first: Int!, $after: String) {\n    captions(filter: $filter, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...CaptionFields\n          image {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ExportUrl($kind: ExportKind!, $format: ExportFormat!, $questions: QuestionFilter, $captions: CaptionFilter, $moderations: ModerationFilter, $usage: UsageExportInput) {\n    exportUrl(kind: $kind, format: $format, questions: $questions, captions: $captions, moderations: $moderations, usage: $usage)\n  }\n"): (typeof documents)["\n  query ExportUrl($kind: ExportKind!, $format: ExportFormat!, $questions: QuestionFilter, $captions: CaptionFilter, $moderations: ModerationFilter, $usage: UsageExportInput) {\n    exportUrl(kind: $kind, format: $format, questions: $questions, captions: $captions, moderations: $moderations, usage: $usage)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment MessageFields on Message {\n    id\n    role\n    text\n    model\n    latencyMs\n    createdAt\n    usage {\n      ...UsageFields\n    }\n  }\n"): (typeof documents)["\n  fragment MessageFields on Message {\n    id\n    role\n    text\n    model\n    latencyMs\n    createdAt\n    usage {\n      ...UsageFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConversationList($first: Int!, $after: String, $size: Int!) {\n    conversations(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          title\n          createdAt\n          updatedAt\n          usage {\n            totalTokens\n          }\n          images {\n            id\n            thumbnailUrl(size: $size)\n          }\n          messages(first: 1) {\n            edges {\n              node {\n                id\n                text\n              }\n            }\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query ConversationList($first: Int!, $after: String, $size: Int!) {\n    conversations(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          title\n          createdAt\n          updatedAt\n          usage {\n            totalTokens\n          }\n          images {\n            id\n            thumbnailUrl(size: $size)\n          }\n          messages(first: 1) {\n            edges {\n              node {\n                id\n                text\n              }\n            }\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConversationDetail($id: ID!, $first: Int!, $after: String) {\n    conversation(id: $id) {\n      id\n      title\n      createdAt\n      usage {\n        ...UsageFields\n      }\n      images {\n        id\n        width\n        height\n        thumbnailUrl(size: 96)\n        captions {\n          id\n          style\n          text\n        }\n      }\n      messages(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            ...MessageFields\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ConversationDetail($id: ID!, $first: Int!, $after: String) {\n    conversation(id: $id) {\n      id\n      title\n      createdAt\n      usage {\n        ...UsageFields\n      }\n      images {\n        id\n        width\n        height\n        thumbnailUrl(size: 96)\n        captions {\n          id\n          style\n          text\n        }\n      }\n      messages(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            ...MessageFields\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StartConversation($imageIds: [ID!]!, $title: String) {\n    startConversation(imageIds: $imageIds, title: $title) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation StartConversation($imageIds: [ID!]!, $title: String) {\n    startConversation(imageIds: $imageIds, title: $title) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription MessageStream($conversationId: ID!, $text: String!) {\n    messageStream(conversationId: $conversationId, text: $text) {\n      delta\n      message {\n        ...MessageFields\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription MessageStream($conversationId: ID!, $text: String!) {\n    messageStream(conversationId: $conversationId, text: $text) {\n      delta\n      message {\n        ...MessageFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteConversation($id: ID!) {\n    deleteConversation(id: $id)\n  }\n"): (typeof documents)["\n  mutation DeleteConversation($id: ID!) {\n    deleteConversation(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ModerationFields on Moderation {\n    id\n    flagged\n    categories\n    rationale\n    model\n    cached\n    latencyMs\n    createdAt\n    usage {\n      ...UsageFields\n    }\n  }\n"): (typeof documents)["\n  fragment ModerationFields on Moderation {\n    id\n    flagged\n    categories\n    rationale\n    model\n    cached\n    latencyMs\n    createdAt\n    usage {\n      ...UsageFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment TextFields on ImageText {\n    id\n    text\n    language\n    model\n    cached\n    latencyMs\n    createdAt\n    usage {\n      ...UsageFields\n    }\n  }\n"): (typeof documents)["\n  fragment TextFields on ImageText {\n    id\n    text\n    language\n    model\n    cached\n    latencyMs\n    createdAt\n    usage {\n      ...UsageFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment DetectionFields on Detection {\n    id\n    objects {\n      label\n      box {\n        x\n        y\n        width\n        height\n      }\n    }\n    model\n    cached\n    latencyMs\n    createdAt\n    usage {\n      ...UsageFields\n    }\n  }\n"): (typeof documents)["\n  fragment DetectionFields on Detection {\n    id\n    objects {\n      label\n      box {\n        x\n        y\n        width\n        height\n      }\n    }\n    model\n    cached\n    latencyMs\n    createdAt\n    usage {\n      ...UsageFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ImageStoredVision($imageId: ID!) {\n    moderations(first: 1, filter: { imageId: $imageId }) {\n      edges {\n        node {\n          ...ModerationFields\n        }\n      }\n    }\n    texts(first: 1, filter: { imageId: $imageId }) {\n      edges {\n        node {\n          ...TextFields\n        }\n      }\n    }\n    detections(first: 1, filter: { imageId: $imageId }) {\n      edges {\n        node {\n          ...DetectionFields\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ImageStoredVision($imageId: ID!) {\n    moderations(first: 1, filter: { imageId: $imageId }) {\n      edges {\n        node {\n          ...ModerationFields\n        }\n      }\n    }\n    texts(first: 1, filter: { imageId: $imageId }) {\n      edges {\n        node {\n          ...TextFields\n        }\n      }\n    }\n    detections(first: 1, filter: { imageId: $imageId }) {\n      edges {\n        node {\n          ...DetectionFields\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query NearDuplicates($id: ID!) {\n    image(id: $id) {\n      id\n      nearDuplicates(first: 12) {\n        id\n        width\n        height\n        thumbnailUrl(size: 128)\n      }\n    }\n  }\n"): (typeof documents)["\n  query NearDuplicates($id: ID!) {\n    image(id: $id) {\n      id\n      nearDuplicates(first: 12) {\n        id\n        width\n        height\n        thumbnailUrl(size: 128)\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ModerateImage($imageId: ID!, $refresh: Boolean) {\n    moderateImage(imageId: $imageId, refresh: $refresh) {\n      ...ModerationFields\n    }\n  }\n"): (typeof documents)["\n  mutation ModerateImage($imageId: ID!, $refresh: Boolean) {\n    moderateImage(imageId: $imageId, refresh: $refresh) {\n      ...ModerationFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ReadText($id: ID!, $refresh: Boolean) {\n    image(id: $id) {\n      id\n      text(refresh: $refresh) {\n        ...TextFields\n      }\n    }\n  }\n"): (typeof documents)["\n  query ReadText($id: ID!, $refresh: Boolean) {\n    image(id: $id) {\n      id\n      text(refresh: $refresh) {\n        ...TextFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DetectObjects($id: ID!, $refresh: Boolean) {\n    image(id: $id) {\n      id\n      objects(refresh: $refresh) {\n        ...DetectionFields\n      }\n    }\n  }\n"): (typeof documents)["\n  query DetectObjects($id: ID!, $refresh: Boolean) {\n    image(id: $id) {\n      id\n      objects(refresh: $refresh) {\n        ...DetectionFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ModerationRows($filter: ModerationFilter, $first: Int!, $after: String) {\n    moderations(filter: $filter, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...ModerationFields\n          image {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n"): (typeof documents)["\n  query ModerationRows($filter: ModerationFilter, $first: Int!, $after: String) {\n    moderations(filter: $filter, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...ModerationFields\n          image {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TextRows($filter: ImageTextFilter, $first: Int!, $after: String) {\n    texts(filter: $filter, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...TextFields\n          image {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n"): (typeof documents)["\n  query TextRows($filter: ImageTextFilter, $first: Int!, $after: String) {\n    texts(filter: $filter, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...TextFields\n          image {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DetectionRows($filter: DetectionFilter, $first: Int!, $after: String) {\n    detections(filter: $filter, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...DetectionFields\n          image {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n"): (typeof documents)["\n  query DetectionRows($filter: DetectionFilter, $first: Int!, $after: String) {\n    detections(filter: $filter, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...DetectionFields\n          image {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query UsageBuckets($from: DateTime, $to: DateTime, $groupBy: [UsageDimension!]) {\n    usage(from: $from, to: $to, groupBy: $groupBy) {\n      day\n      hour\n      model\n      kind\n      apiKeyId\n      tenant\n      match\n      calls\n      results\n      promptTokens\n      completionTokens\n      totalTokens\n      cacheHits\n      tokensSaved\n      cost {\n        amount\n        currency\n      }\n      costSaved {\n        amount\n        currency\n      }\n    }\n  }\n"): (typeof documents)["\n  query UsageBuckets($from: DateTime, $to: DateTime, $groupBy: [UsageDimension!]) {\n    usage(from: $from, to: $to, groupBy: $groupBy) {\n      day\n      hour\n      model\n      kind\n      apiKeyId\n      tenant\n      match\n      calls\n      results\n      promptTokens\n      completionTokens\n      totalTokens\n      cacheHits\n      tokensSaved\n      cost {\n        amount\n        currency\n      }\n      costSaved {\n        amount\n        currency\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query KeyCheck {\n    __typename\n  }\n"): (typeof documents)["\n  query KeyCheck {\n    __typename\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;