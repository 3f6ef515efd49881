/**
 * Default container names in the manner of Docker's namesgenerator: an
 * adjective and the surname of a scientist or engineer, "admiring_hopper".
 * (Docker's own lists are longer; these are mini-run's.) A name taken
 * already is drawn again (state.ts createState).
 */
import { randomInt } from '../../random.js'

const LEFT = [
  'admiring', 'adoring', 'agitated', 'amazing', 'angry', 'awesome', 'blissful', 'bold', 'boring', 'brave', 'busy',
  'charming', 'clever', 'cool', 'compassionate', 'competent', 'confident', 'crazy', 'dazzling', 'determined', 'distracted',
  'dreamy', 'eager', 'ecstatic', 'elastic', 'elated', 'elegant', 'eloquent', 'epic', 'fervent', 'festive', 'flamboyant',
  'focused', 'friendly', 'frosty', 'gallant', 'gifted', 'goofy', 'gracious', 'happy', 'hardcore', 'heuristic', 'hopeful',
  'hungry', 'infallible', 'inspiring', 'intelligent', 'interesting', 'jolly', 'jovial', 'keen', 'kind', 'laughing',
  'loving', 'lucid', 'magical', 'modest', 'musing', 'mystifying', 'naughty', 'nervous', 'nice', 'nifty', 'nostalgic',
  'objective', 'optimistic', 'peaceful', 'pedantic', 'pensive', 'practical', 'priceless', 'quirky', 'quizzical',
  'relaxed', 'reverent', 'romantic', 'sad', 'serene', 'sharp', 'silly', 'sleepy', 'stoic', 'strange', 'stupefied',
  'suspicious', 'sweet', 'tender', 'thirsty', 'trusting', 'unruffled', 'upbeat', 'vibrant', 'vigilant', 'vigorous',
  'wizardly', 'wonderful', 'xenodochial', 'youthful', 'zealous', 'zen',
]

const RIGHT = [
  'agnesi', 'albattani', 'allen', 'archimedes', 'babbage', 'banach', 'bardeen', 'bartik', 'bell', 'bhabha', 'booth',
  'borg', 'bose', 'brahmagupta', 'brattain', 'burnell', 'cannon', 'carson', 'cerf', 'chandrasekhar', 'chaum', 'clarke',
  'curie', 'darwin', 'dijkstra', 'dubinsky', 'easley', 'edison', 'einstein', 'elion', 'engelbart', 'euclid', 'euler',
  'faraday', 'fermat', 'fermi', 'feynman', 'franklin', 'galileo', 'gates', 'goldberg', 'goodall', 'hamilton', 'hawking',
  'heisenberg', 'hodgkin', 'hofstadter', 'hopper', 'hypatia', 'jackson', 'jemison', 'johnson', 'kalam', 'kapitsa',
  'keller', 'kepler', 'knuth', 'kowalevski', 'lalande', 'lamarr', 'lamport', 'leakey', 'lehmann', 'liskov', 'lovelace',
  'lumiere', 'mayer', 'mccarthy', 'mcclintock', 'meitner', 'mendel', 'minsky', 'mirzakhani', 'morse', 'napier', 'nash',
  'newton', 'nobel', 'noether', 'noyce', 'pare', 'pascal', 'pasteur', 'payne', 'perlman', 'pike', 'poincare', 'ptolemy',
  'raman', 'ramanujan', 'ride', 'ritchie', 'roentgen', 'rosalind', 'saha', 'sammet', 'shannon', 'shockley', 'sinoussi',
  'stonebraker', 'swanson', 'tesla', 'thompson', 'torvalds', 'turing', 'varahamihira', 'villani', 'wescoff', 'wiles',
  'williams', 'wilson', 'wing', 'wozniak', 'wright', 'yalow', 'yonath',
]

/** "adjective_surname"; after a few names already taken, a digit as Docker adds one. */
export function randomName(retry = 0): string {
  const name = `${LEFT[randomInt(LEFT.length)]}_${RIGHT[randomInt(RIGHT.length)]}`
  // as Docker: Wozniak is not boring
  if (name === 'boring_wozniak') return randomName(retry)
  return retry > 0 ? `${name}${randomInt(10)}` : name
}
