import type { OrganizationKind } from '@tasuki/domain';

/** The 47 prefectures (JIS X 0401 order) with their population in ten thousands (2020 census, rounded). */
export const PREFECTURES: readonly { name: string; population: number }[] = [
  ['北海道', 522],
  ['青森県', 124],
  ['岩手県', 121],
  ['宮城県', 230],
  ['秋田県', 96],
  ['山形県', 107],
  ['福島県', 183],
  ['茨城県', 287],
  ['栃木県', 193],
  ['群馬県', 194],
  ['埼玉県', 734],
  ['千葉県', 628],
  ['東京都', 1405],
  ['神奈川県', 924],
  ['新潟県', 220],
  ['富山県', 103],
  ['石川県', 113],
  ['福井県', 77],
  ['山梨県', 81],
  ['長野県', 205],
  ['岐阜県', 198],
  ['静岡県', 363],
  ['愛知県', 754],
  ['三重県', 177],
  ['滋賀県', 141],
  ['京都府', 258],
  ['大阪府', 884],
  ['兵庫県', 547],
  ['奈良県', 133],
  ['和歌山県', 92],
  ['鳥取県', 55],
  ['島根県', 67],
  ['岡山県', 189],
  ['広島県', 280],
  ['山口県', 134],
  ['徳島県', 72],
  ['香川県', 95],
  ['愛媛県', 133],
  ['高知県', 69],
  ['福岡県', 513],
  ['佐賀県', 81],
  ['長崎県', 131],
  ['熊本県', 174],
  ['大分県', 113],
  ['宮崎県', 107],
  ['鹿児島県', 159],
  ['沖縄県', 147],
].map(([name, population]) => ({ name: name as string, population: population as number }));

export const prefectureCode = (index: number) => String(index + 1).padStart(2, '0');

/**
 * The kinds of a network of 300 organizations and how many of each: enough Hello Work offices, hospitals and one
 * disease support centre per prefecture to carry the referral paths, and the smaller kinds around them. Smaller
 * networks take the same shares (Sainte-Laguë order, so every prefix is proportional).
 */
export const KIND_SHARES: readonly [OrganizationKind, number][] = [
  ['HELLO_WORK', 58],
  ['HOSPITAL', 50],
  ['DISEASE_SUPPORT_CENTER', 47],
  ['WORK_LIFE_SUPPORT_CENTER', 40],
  ['VOCATIONAL_CENTER', 30],
  ['TRANSITION_SERVICE', 20],
  ['CONTINUOUS_SERVICE', 10],
  ['MUNICIPALITY', 10],
  ['NPO', 10],
  ['RETENTION_SERVICE', 8],
  ['SELF_RELIANCE_OFFICE', 5],
  ['OCCUPATIONAL_HEALTH_CENTER', 4],
  ['YOUTH_SUPPORT_STATION', 3],
  ['SOCIAL_WELFARE_COUNCIL', 3],
  ['EMPLOYER', 2],
];

/** How many clients an organization of a kind registers, relative to the others. */
export const KIND_CASELOAD: Partial<Record<OrganizationKind, number>> = {
  HELLO_WORK: 3,
  HOSPITAL: 2.5,
  DISEASE_SUPPORT_CENTER: 2,
  WORK_LIFE_SUPPORT_CENTER: 1,
  VOCATIONAL_CENTER: 0.6,
  TRANSITION_SERVICE: 0.6,
  MUNICIPALITY: 0.8,
  EMPLOYER: 0.1,
};

/**
 * The real referral paths: to whom an organization of each kind refers a job seeker with an intractable disease
 * next (hospital → disease support centre → Hello Work → vocational centre, and so on).
 */
export const NEXT_KINDS: Record<OrganizationKind, readonly OrganizationKind[]> = {
  HOSPITAL: ['DISEASE_SUPPORT_CENTER', 'DISEASE_SUPPORT_CENTER', 'HELLO_WORK', 'OCCUPATIONAL_HEALTH_CENTER'],
  DISEASE_SUPPORT_CENTER: ['HELLO_WORK', 'HELLO_WORK', 'WORK_LIFE_SUPPORT_CENTER', 'HOSPITAL'],
  HELLO_WORK: ['VOCATIONAL_CENTER', 'WORK_LIFE_SUPPORT_CENTER', 'TRANSITION_SERVICE', 'DISEASE_SUPPORT_CENTER'],
  VOCATIONAL_CENTER: ['HELLO_WORK', 'WORK_LIFE_SUPPORT_CENTER', 'RETENTION_SERVICE'],
  WORK_LIFE_SUPPORT_CENTER: ['HELLO_WORK', 'VOCATIONAL_CENTER', 'RETENTION_SERVICE', 'CONTINUOUS_SERVICE'],
  TRANSITION_SERVICE: ['HELLO_WORK', 'RETENTION_SERVICE'],
  CONTINUOUS_SERVICE: ['WORK_LIFE_SUPPORT_CENTER', 'HELLO_WORK'],
  RETENTION_SERVICE: ['WORK_LIFE_SUPPORT_CENTER', 'HELLO_WORK'],
  SELF_RELIANCE_OFFICE: ['HELLO_WORK', 'WORK_LIFE_SUPPORT_CENTER', 'SOCIAL_WELFARE_COUNCIL'],
  YOUTH_SUPPORT_STATION: ['HELLO_WORK', 'TRANSITION_SERVICE'],
  SOCIAL_WELFARE_COUNCIL: ['SELF_RELIANCE_OFFICE', 'HELLO_WORK'],
  OCCUPATIONAL_HEALTH_CENTER: ['DISEASE_SUPPORT_CENTER', 'HELLO_WORK'],
  MUNICIPALITY: ['HELLO_WORK', 'WORK_LIFE_SUPPORT_CENTER', 'DISEASE_SUPPORT_CENTER'],
  NPO: ['HELLO_WORK', 'DISEASE_SUPPORT_CENTER', 'WORK_LIFE_SUPPORT_CENTER'],
  EMPLOYER: ['OCCUPATIONAL_HEALTH_CENTER', 'WORK_LIFE_SUPPORT_CENTER'],
  OTHER: ['HELLO_WORK'],
};

/** The reason a referral gives, by the recipient's kind. */
export const REASON_BY_KIND: Partial<Record<OrganizationKind, readonly string[]>> = {
  HELLO_WORK: ['JOB_PLACEMENT', 'JOB_PLACEMENT', 'BALANCE_SUPPORT'],
  VOCATIONAL_CENTER: ['ASSESSMENT', 'JOB_COACH'],
  WORK_LIFE_SUPPORT_CENTER: ['LIFE_SUPPORT', 'RETENTION', 'JOB_PLACEMENT'],
  DISEASE_SUPPORT_CENTER: ['BALANCE_SUPPORT', 'PEER_SUPPORT', 'MEDICAL'],
  HOSPITAL: ['MEDICAL'],
  RETENTION_SERVICE: ['RETENTION'],
  TRANSITION_SERVICE: ['ASSESSMENT', 'JOB_PLACEMENT'],
  OCCUPATIONAL_HEALTH_CENTER: ['BALANCE_SUPPORT'],
};

/** Common family names with their readings. */
export const FAMILY_NAMES: readonly [string, string][] = [
  ['佐藤', 'サトウ'],
  ['鈴木', 'スズキ'],
  ['高橋', 'タカハシ'],
  ['田中', 'タナカ'],
  ['伊藤', 'イトウ'],
  ['渡辺', 'ワタナベ'],
  ['山本', 'ヤマモト'],
  ['中村', 'ナカムラ'],
  ['小林', 'コバヤシ'],
  ['加藤', 'カトウ'],
  ['吉田', 'ヨシダ'],
  ['山田', 'ヤマダ'],
  ['佐々木', 'ササキ'],
  ['山口', 'ヤマグチ'],
  ['松本', 'マツモト'],
  ['井上', 'イノウエ'],
  ['木村', 'キムラ'],
  ['林', 'ハヤシ'],
  ['斎藤', 'サイトウ'],
  ['清水', 'シミズ'],
  ['山崎', 'ヤマザキ'],
  ['森', 'モリ'],
  ['池田', 'イケダ'],
  ['橋本', 'ハシモト'],
  ['阿部', 'アベ'],
  ['石川', 'イシカワ'],
  ['山下', 'ヤマシタ'],
  ['中島', 'ナカジマ'],
  ['石井', 'イシイ'],
  ['小川', 'オガワ'],
  ['前田', 'マエダ'],
  ['岡田', 'オカダ'],
  ['長谷川', 'ハセガワ'],
  ['藤田', 'フジタ'],
  ['後藤', 'ゴトウ'],
  ['近藤', 'コンドウ'],
  ['村上', 'ムラカミ'],
  ['遠藤', 'エンドウ'],
  ['青木', 'アオキ'],
  ['坂本', 'サカモト'],
  ['比嘉', 'ヒガ'],
  ['金城', 'キンジョウ'],
  ['工藤', 'クドウ'],
  ['菊地', 'キクチ'],
  ['千葉', 'チバ'],
];

export const FEMALE_NAMES: readonly [string, string][] = [
  ['陽子', 'ヨウコ'],
  ['恵子', 'ケイコ'],
  ['美咲', 'ミサキ'],
  ['花子', 'ハナコ'],
  ['由美', 'ユミ'],
  ['真由美', 'マユミ'],
  ['直子', 'ナオコ'],
  ['智子', 'トモコ'],
  ['愛', 'アイ'],
  ['さくら', 'サクラ'],
  ['結衣', 'ユイ'],
  ['葵', 'アオイ'],
  ['優子', 'ユウコ'],
  ['久美子', 'クミコ'],
  ['明美', 'アケミ'],
  ['彩', 'アヤ'],
  ['麻衣', 'マイ'],
  ['千尋', 'チヒロ'],
  ['京子', 'キョウコ'],
  ['舞', 'マイ'],
];

export const MALE_NAMES: readonly [string, string][] = [
  ['大輔', 'ダイスケ'],
  ['健太', 'ケンタ'],
  ['翔太', 'ショウタ'],
  ['拓也', 'タクヤ'],
  ['浩', 'ヒロシ'],
  ['誠', 'マコト'],
  ['和也', 'カズヤ'],
  ['隆', 'タカシ'],
  ['直樹', 'ナオキ'],
  ['達也', 'タツヤ'],
  ['蓮', 'レン'],
  ['大翔', 'ヒロト'],
  ['悠真', 'ユウマ'],
  ['修', 'オサム'],
  ['博之', 'ヒロユキ'],
  ['茂', 'シゲル'],
  ['剛', 'ツヨシ'],
  ['亮', 'リョウ'],
  ['一郎', 'イチロウ'],
  ['聡', 'サトシ'],
];

/** 指定難病 numbers that are common among job seekers (Parkinson's, UC, SLE, Crohn's, MS, ...): drawn first. */
export const COMMON_DISEASES = [97, 96, 49, 6, 13, 2, 69, 90, 51, 35, 66, 63, 271, 222, 11, 56, 3, 84];

export const CONSULTATION_SUMMARIES = [
  '来所相談: 体調と就労希望の確認',
  '電話相談: 通院日程と勤務時間の調整',
  '面談: 職業準備性の確認',
  '求人の検討',
  '主治医意見書の内容確認',
  '企業見学の振り返り',
  '体調の変化について相談',
  '職場への病名開示について相談',
];

export const NOTE_SUMMARIES = ['支援計画の見直し', 'ケース会議の記録', '関係機関との連絡メモ', '書類の受領'];

export const EMPLOYERS = [
  '株式会社さくら物流',
  '東日本データサービス株式会社',
  '医療法人あおば会',
  '株式会社みどり食品',
  '社会福祉法人ひかり',
  '株式会社北斗システム',
  '有限会社こもれび',
  '株式会社なごみ不動産',
];
