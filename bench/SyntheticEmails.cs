namespace MLNetExt.Bench;

/// <summary>
/// Email-length texts made up on the spot (no downloads): a greeting, 3-7 sentences of 8-18 words and a sign-off,
/// about 60-140 words. "offer" mails draw half their words from sales vocabulary, "work" mails from office vocabulary,
/// so a classifier has something to learn; the rest are common words shared by both.
/// </summary>
static class SyntheticEmails
{
    public sealed class Email
    {
        public string Text { get; set; } = "";
        public string Label { get; set; } = "";
    }

    static readonly string[] Common = ("the a to and of in for on with this that your our we you is are be will it as at by from " +
        "please thanks today tomorrow week next all about more can just time here there have has").Split(' ');
    static readonly string[] Offer = ("free offer discount price deal limited save order buy now exclusive bonus winner " +
        "credit cash guaranteed subscribe click unsubscribe special sale cheap").Split(' ');
    static readonly string[] Work = ("meeting agenda report project deadline review draft schedule team budget quarter " +
        "slides notes client update call minutes proposal invoice contract").Split(' ');
    static readonly string[] Greetings = ["Hi", "Hello", "Dear colleague,", "Good morning,", "Hey team,"];
    static readonly string[] SignOffs = ["Best regards", "Thanks", "Cheers", "Kind regards", "See you soon"];

    public static Email[] Generate(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            bool offer = i % 2 == 0;
            var topic = offer ? Offer : Work;
            var sentences = Enumerable.Range(0, random.Next(3, 8)).Select(_ =>
            {
                var words = Enumerable.Range(0, random.Next(8, 19))
                    .Select(_ => random.Next(2) == 0 ? topic[random.Next(topic.Length)] : Common[random.Next(Common.Length)]).ToArray();
                words[0] = char.ToUpperInvariant(words[0][0]) + words[0][1..];
                return string.Join(' ', words) + ".";
            });
            string text = $"{Pick(random, Greetings)}\n\n{string.Join(' ', sentences)}\n\n{Pick(random, SignOffs)},\nSam";
            return new Email { Text = text, Label = offer ? "offer" : "work" };
        }).ToArray();
    }

    static string Pick(Random random, string[] items) => items[random.Next(items.Length)];
}
