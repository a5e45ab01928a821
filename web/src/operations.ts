/**
 * Every operation the console sends, typed by GraphQL Code Generator's client
 * preset from schema/schema.graphql (`npm run codegen` rewrites ./gql).
 */
import { graphql } from './gql';

export const USAGE_FIELDS = graphql(`
  fragment UsageFields on Usage {
    promptTokens
    completionTokens
    totalTokens
    cachedTokens
    cost {
      amount
      currency
    }
  }
`);

export const CAPTION_FIELDS = graphql(`
  fragment CaptionFields on Caption {
    id
    style
    text
    model
    cached
    latencyMs
    createdAt
    usage {
      ...UsageFields
    }
  }
`);

export const QUESTION_FIELDS = graphql(`
  fragment QuestionFields on Question {
    id
    prompt
    answer
    model
    cached
    latencyMs
    createdAt
    usage {
      ...UsageFields
    }
  }
`);

/** A page of images, newest first; stored captions only (no model work), for ALT_TEXT alts. */
export const IMAGE_GRID = graphql(`
  query ImageGrid($first: Int!, $after: String, $size: Int!) {
    images(first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          width
          height
          createdAt
          thumbnailUrl(size: $size)
          captions {
            id
            style
            text
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const UPLOAD_IMAGE = graphql(`
  mutation UploadImage($file: Upload!) {
    uploadImage(file: $file) {
      id
      width
      height
    }
  }
`);

export const IMAGE_DETAIL = graphql(`
  query ImageDetail($id: ID!) {
    image(id: $id) {
      id
      sha256
      mimeType
      width
      height
      byteSize
      createdAt
      url
      captions {
        ...CaptionFields
      }
      questions {
        ...QuestionFields
      }
    }
  }
`);

/** Asks the model when not cached: sent as POST (never GET), and a failure nulls only `caption`. */
export const BRIEF_CAPTION = graphql(`
  query BriefCaption($id: ID!) {
    image(id: $id) {
      id
      caption(style: BRIEF) {
        ...CaptionFields
      }
    }
  }
`);

export const CAPTION_IMAGE = graphql(`
  mutation CaptionImage($imageId: ID!, $style: CaptionStyle!, $refresh: Boolean) {
    captionImage(imageId: $imageId, style: $style, refresh: $refresh) {
      ...CaptionFields
    }
  }
`);

/** The answer as the model writes it: deltas, then a last chunk with the stored Question (graphql-ws). */
export const ANSWER_STREAM = graphql(`
  subscription AnswerStream($imageId: ID!, $question: String!, $refresh: Boolean) {
    answerStream(imageId: $imageId, question: $question, refresh: $refresh) {
      delta
      answer {
        ...QuestionFields
      }
    }
  }
`);

export const JOB_FIELDS = graphql(`
  fragment JobFields on Job {
    id
    status
    total
    done
    failed
    error
    createdAt
    startedAt
    finishedAt
  }
`);

export const SUBMIT_ANALYSIS = graphql(`
  mutation SubmitAnalysis($input: AnalysisInput!) {
    submitAnalysis(input: $input) {
      ...JobFields
    }
  }
`);

/** Every event carries the items as they are then, so results appear while the job runs. */
export const JOB_UPDATED = graphql(`
  subscription JobUpdated($id: ID!) {
    jobUpdated(id: $id) {
      ...JobFields
      items {
        id
        kind
        style
        prompt
        status
        errorCode
        error
        image {
          id
          thumbnailUrl(size: 96)
          captions {
            id
            style
            text
          }
        }
        caption {
          id
          text
        }
        question {
          id
          answer
        }
      }
    }
  }
`);

export const CANCEL_JOB = graphql(`
  mutation CancelJob($id: ID!) {
    cancelJob(id: $id) {
      ...JobFields
    }
  }
`);

export const RECENT_JOBS = graphql(`
  query RecentJobs {
    jobs(first: 10) {
      edges {
        node {
          ...JobFields
        }
      }
    }
  }
`);

export const QUESTION_ROWS = graphql(`
  query QuestionRows($filter: QuestionFilter, $first: Int!, $after: String) {
    questions(filter: $filter, first: $first, after: $after) {
      edges {
        cursor
        node {
          ...QuestionFields
          image {
            id
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
      totalCount
    }
  }
`);

export const CAPTION_ROWS = graphql(`
  query CaptionRows($filter: CaptionFilter, $first: Int!, $after: String) {
    captions(filter: $filter, first: $first, after: $after) {
      edges {
        cursor
        node {
          ...CaptionFields
          image {
            id
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
      totalCount
    }
  }
`);

/** A signed link to the whole filtered list as a file (GET /export/…), for a download that needs no header. */
export const EXPORT_URL = graphql(`
  query ExportUrl($kind: ExportKind!, $format: ExportFormat!, $questions: QuestionFilter, $captions: CaptionFilter, $moderations: ModerationFilter, $usage: UsageExportInput) {
    exportUrl(kind: $kind, format: $format, questions: $questions, captions: $captions, moderations: $moderations, usage: $usage)
  }
`);

export const MESSAGE_FIELDS = graphql(`
  fragment MessageFields on Message {
    id
    role
    text
    model
    latencyMs
    createdAt
    usage {
      ...UsageFields
    }
  }
`);

/** Newest first, with the first message (a name for untitled ones); thumbnails only (alt texts would multiply the query's cost). */
export const CONVERSATION_LIST = graphql(`
  query ConversationList($first: Int!, $after: String, $size: Int!) {
    conversations(first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          title
          createdAt
          updatedAt
          usage {
            totalTokens
          }
          images {
            id
            thumbnailUrl(size: $size)
          }
          messages(first: 1) {
            edges {
              node {
                id
                text
              }
            }
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

/** One conversation with a page of its messages, oldest first; `after` fetches the newer ones. */
export const CONVERSATION_DETAIL = graphql(`
  query ConversationDetail($id: ID!, $first: Int!, $after: String) {
    conversation(id: $id) {
      id
      title
      createdAt
      usage {
        ...UsageFields
      }
      images {
        id
        width
        height
        thumbnailUrl(size: 96)
        captions {
          id
          style
          text
        }
      }
      messages(first: $first, after: $after) {
        edges {
          cursor
          node {
            ...MessageFields
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

export const START_CONVERSATION = graphql(`
  mutation StartConversation($imageIds: [ID!]!, $title: String) {
    startConversation(imageIds: $imageIds, title: $title) {
      id
    }
  }
`);

/** A conversation turn as the model writes it: deltas, then a last chunk with the stored reply (graphql-ws). */
export const MESSAGE_STREAM = graphql(`
  subscription MessageStream($conversationId: ID!, $text: String!) {
    messageStream(conversationId: $conversationId, text: $text) {
      delta
      message {
        ...MessageFields
      }
    }
  }
`);

export const DELETE_CONVERSATION = graphql(`
  mutation DeleteConversation($id: ID!) {
    deleteConversation(id: $id)
  }
`);

export const MODERATION_FIELDS = graphql(`
  fragment ModerationFields on Moderation {
    id
    flagged
    categories
    rationale
    model
    cached
    latencyMs
    createdAt
    usage {
      ...UsageFields
    }
  }
`);

export const TEXT_FIELDS = graphql(`
  fragment TextFields on ImageText {
    id
    text
    language
    model
    cached
    latencyMs
    createdAt
    usage {
      ...UsageFields
    }
  }
`);

export const DETECTION_FIELDS = graphql(`
  fragment DetectionFields on Detection {
    id
    objects {
      label
      box {
        x
        y
        width
        height
      }
    }
    model
    cached
    latencyMs
    createdAt
    usage {
      ...UsageFields
    }
  }
`);

/** What is stored about one image beyond captions and answers: read from the lists, so nothing goes to the model. */
export const IMAGE_STORED_VISION = graphql(`
  query ImageStoredVision($imageId: ID!) {
    moderations(first: 1, filter: { imageId: $imageId }) {
      edges {
        node {
          ...ModerationFields
        }
      }
    }
    texts(first: 1, filter: { imageId: $imageId }) {
      edges {
        node {
          ...TextFields
        }
      }
    }
    detections(first: 1, filter: { imageId: $imageId }) {
      edges {
        node {
          ...DetectionFields
        }
      }
    }
  }
`);

/** Near-duplicates come from fingerprints, not from the model. */
export const NEAR_DUPLICATES = graphql(`
  query NearDuplicates($id: ID!) {
    image(id: $id) {
      id
      nearDuplicates(first: 12) {
        id
        width
        height
        thumbnailUrl(size: 128)
      }
    }
  }
`);

export const MODERATE_IMAGE = graphql(`
  mutation ModerateImage($imageId: ID!, $refresh: Boolean) {
    moderateImage(imageId: $imageId, refresh: $refresh) {
      ...ModerationFields
    }
  }
`);

/** Reads the text when it is not stored yet (or refresh): a failure nulls only `text`. */
export const READ_TEXT = graphql(`
  query ReadText($id: ID!, $refresh: Boolean) {
    image(id: $id) {
      id
      text(refresh: $refresh) {
        ...TextFields
      }
    }
  }
`);

export const DETECT_OBJECTS = graphql(`
  query DetectObjects($id: ID!, $refresh: Boolean) {
    image(id: $id) {
      id
      objects(refresh: $refresh) {
        ...DetectionFields
      }
    }
  }
`);

export const MODERATION_ROWS = graphql(`
  query ModerationRows($filter: ModerationFilter, $first: Int!, $after: String) {
    moderations(filter: $filter, first: $first, after: $after) {
      edges {
        cursor
        node {
          ...ModerationFields
          image {
            id
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
      totalCount
    }
  }
`);

export const TEXT_ROWS = graphql(`
  query TextRows($filter: ImageTextFilter, $first: Int!, $after: String) {
    texts(filter: $filter, first: $first, after: $after) {
      edges {
        cursor
        node {
          ...TextFields
          image {
            id
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
      totalCount
    }
  }
`);

export const DETECTION_ROWS = graphql(`
  query DetectionRows($filter: DetectionFilter, $first: Int!, $after: String) {
    detections(filter: $filter, first: $first, after: $after) {
      edges {
        cursor
        node {
          ...DetectionFields
          image {
            id
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
      totalCount
    }
  }
`);

/** Calls, tokens, cost and savings per bucket of time (and split), summed by the database. */
export const USAGE_BUCKETS = graphql(`
  query UsageBuckets($from: DateTime, $to: DateTime, $groupBy: [UsageDimension!]) {
    usage(from: $from, to: $to, groupBy: $groupBy) {
      day
      hour
      model
      kind
      apiKeyId
      tenant
      match
      calls
      results
      promptTokens
      completionTokens
      totalTokens
      cacheHits
      tokensSaved
      cost {
        amount
        currency
      }
      costSaved {
        amount
        currency
      }
    }
  }
`);

/** The cheapest operation there is: whether the gateway takes the key. */
export const KEY_CHECK = graphql(`
  query KeyCheck {
    __typename
  }
`);
