import { detectLanguage } from './detect-language';

describe('detectLanguage', () => {
  it.each([
    ['This is a great phone I bought for my mother', 'en'],
    ['Great value for money. Would buy again.', 'en'],
    ['Das ist ein sehr gutes Produkt', 'de'],
    ['Este producto es muy bueno', 'es'],
    ['Это очень хороший продукт', 'ru'],
    // Chinese: decided by script, tinyld is not consulted
    ['这个产品非常好用,推荐购买', 'zh'],
    ['非常好', 'zh'],
    ['物流很快 [URL] 好评', 'zh'],
    ['我很喜欢这个iPhone手机', 'zh'], // mixed, mostly Han
    ['质量不错,就是物流慢 but ok', 'zh'], // 9 Han of 14 letters
    // Japanese and Korean
    ['こんにちは世界', 'ja'],
    ['日本語のテキスト', 'ja'],
    ['안녕하세요 세계', 'ko'],
    // mostly Latin with a little Han: tinyld decides
    ['I love this 产品 very much, it is really good', 'en'],
    ['质量不错 but the shipping was very slow', 'en'], // 4 Han of 26 letters
    ['Great phone, highly recommended!', 'en'],
    ['Nice phone', 'en'],
    // undetermined
    ['', 'und'],
    ['好评', 'und'], // fewer than 3 letters
    ['ok', 'und'],
    ['[EMAIL] [PHONE] hi', 'und'],
    ['12345 !!! 😂', 'und'],
    ['zzz xxx', 'und'], // two languages tie
    ['hello world', 'und'], // en barely ahead of it
  ])('%j → %s', (input, expected) => {
    expect(detectLanguage(input)).toBe(expected);
  });
});
