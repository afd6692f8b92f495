/**
 * WordPiece vocabulary of the tiny test model (exactly VOCAB_SIZE entries): specials first ([PAD] = 0),
 * then single characters (so any Latin text tokenizes without [UNK]), frequent English words,
 * '##' continuation pieces and a few CJK characters.
 */

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

const CJK = '的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年好很产品质量物流快书喜欢买东西';

const WORDS = `
the of and to in is was it for on that with as be at by this had not are but from or have an they which one
you were her all she there would their we him been has when who will more no if out so said what up its about
into than them can only other new some could time these two may then do first any my now such like our over
man me even most made after also did many before must through back years where much your way well down should
because each just those people how too little state good very make world still own see men work long get here
between both life being under never day same another know while last might us great old year off come since
against go came right used take three
i he his am isn't don't doesn't didn't won't can't wasn't aren't it's i'm
product products item items order orders price prices quality delivery shipping service customer support
review reviews star stars rating seller store shop buy bought purchase purchased return returned refund money
cheap expensive value worth recommend recommended love loved like liked hate hated great good bad terrible
awful excellent amazing perfect poor fine nice okay ok best worst better worse happy unhappy disappointed
broken broke works worked working fast slow late early quick quickly easy hard simple difficult size small
large big tiny fit fits color colour black white red blue green battery screen phone camera laptop computer
charger cable box package packaging arrived arrive day days week weeks month months again never always
really actually totally pretty quite still also though although however because would could should
use used using set setup install installed app software update account password email address number
home kitchen coffee tea food taste tasty fresh book books read reading story movie music song sound loud
quiet light heavy soft comfortable shoes shirt jacket dress bag water bottle hot cold warm clean dirty
family friend friends kids children gift christmas birthday morning night today yesterday tomorrow
company team manager staff help helpful friendly rude polite problem problems issue issues question answer
call called phone message reply replied wait waited waiting hour hours minute minutes second time times
thing things stuff nothing something everything anything lot lots bit few enough every half full empty
open opened close closed door car drive road city town country place house room bed chair table window
first second third last next new old young high low open short tall wide long left right top bottom side
test testing tested data model text word words language english chinese french german spanish japanese
why what when where who how yes no not all none some many more less most least than then there here
name names user users profile stream event events learn learning machine network cloud server client
able across add added age ago agree air allow almost alone along already among amount animal apple area arm
art ask asked away baby bank base beautiful became become began begin behind believe below beside big bird
blood board boat body bought brother brought build building business busy buy cake card care carry case cat
catch cause center chance change changed cheap check child choose church class clear clothes cloud coat cost
count course cover cross cup cut dance dark daughter dead deal dear decide deep design detail die different
dinner doctor dog dollar done draw dream dress drink drop dry during ear earth east eat edge effect eight
else end energy enjoy enter even evening example except expect experience explain eye face fact fall far
farm father fear feel feeling field fight figure fill film final find fine finger finish fire fish five
floor flower fly follow foot force forget form forward four free fruit future game garden gas gave girl
give glass gold gone government green ground group grow guess gun hair hand hang happen hat head health
hear heard heart heat hill history hold hole hope horse hospital huge human hundred hurt idea important
inside interest iron island job join jump keep kept key kill kind king knew land large laugh law lay lead
leave leg letter level lie lift line list listen live local lose lost loud low main major mark market matter
mean meet member memory middle mind miss modern moment mother mountain mouth move moved movie mr mrs music
near neck need news nice nine noise north note notice object ocean offer office often oil once order
paper parent part party pass past pay peace pen pick picture piece plan plant play please point police
poor power present president press pretty print private probably produce program promise pull push put
rain raise reach ready reason receive record remember report rest rich ride ring rise river rock roll run
safe sale salt save say school sea season seat seem sell send sense serve several shake shape share sharp
ship shoe shop shot show sick sign silver sing sister sit six skin sky sleep smell smile snow soldier son
soon sorry south space speak special speed spend sport spring stand start station stay step stone stop
street strong student study subject sugar summer sun sure surface system take talk teach teacher tell ten
thank thin think thought thousand throw tie tire told tomorrow tonight took tool touch tour toward trade
train travel tree trip trouble true trust try turn type uncle understand unit until usual village visit
voice walk wall want war wash watch wave wear weather west wheel whole wife wild win wind winter wish woman
wonder wood worry write wrong yard yellow young zero zone
`;

const SUFFIXES = [
  's',
  'es',
  'ed',
  'd',
  'ing',
  'ly',
  'er',
  'ers',
  'est',
  'ion',
  'ions',
  'tion',
  'ness',
  'ment',
  'ments',
  'able',
  'ible',
  'ful',
  'less',
  'y',
  'al',
  'ive',
  'ous',
  'ity',
  'ize',
  'ise',
  'ist',
  'ism',
  'ic',
  'ish',
  'en',
  'an',
  'in',
  'on',
  'or',
  'ar',
  'le',
  'ry',
  'th',
  'ch',
  'sh',
  'ng',
  'nt',
  'st',
  'll',
  'ss',
  'ie',
  'ee',
  'oo',
  'ea',
  'ou',
  'ai',
  'un',
  're',
  'pre',
  'dis',
  'over',
  'out',
  'up',
  'back',
  'ward',
  'wards',
  'like',
  'ship',
  'hood',
  'dom',
  'ate',
  'ated',
  'ating',
  'ation',
  'ations',
  'ally',
  'ically',
  'ward',
  'self',
  'one',
  'body',
  'thing',
  'time',
  'day',
];

export const VOCAB_SIZE = 1000;

/** Returns the ordered vocabulary (index = token id). */
export function tinyVocab(): string[] {
  const vocab: string[] = [];
  const seen = new Set<string>();
  const add = (t: string): void => {
    if (t && !seen.has(t)) {
      seen.add(t);
      vocab.push(t);
    }
  };
  SPECIALS.forEach(add);
  [...PUNCTUATION].forEach(add);
  for (let d = 0; d <= 9; d++) add(String(d));
  for (let c = 97; c <= 122; c++) add(String.fromCharCode(c));
  for (let d = 0; d <= 9; d++) add(`##${d}`);
  for (let c = 97; c <= 122; c++) add(`##${String.fromCharCode(c)}`);
  [...CJK].forEach(add);
  SUFFIXES.forEach((s) => add(`##${s}`));
  // BertPreTokenizer splits on punctuation, so contractions are only useful as their pieces.
  WORDS.split(/\s+/)
    .flatMap((w) => w.split("'"))
    .forEach(add);
  // Capped so the whole fixture (fp32 + int8 embedding tables included) stays under 1 MB.
  return vocab.slice(0, VOCAB_SIZE);
}
