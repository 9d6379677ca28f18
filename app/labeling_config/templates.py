"""The catalogue of ready-made configurations a Manager starts a project from."""
import base64
import io
import wave
from dataclasses import dataclass, field
from urllib.parse import quote


@dataclass(frozen=True)
class Template:
    """One catalogue entry: a configuration and a task to preview it with."""

    key: str
    title: str
    group: str
    description: str
    config_xml: str
    sample_task: dict = field(default_factory=dict)


def _sample_image():
    # Inline, so previews need no network and no stored file.
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="320" height="200"><rect width="320" height="200" fill="#dfe9f3"/>'
           '<rect x="40" y="50" width="90" height="90" fill="#e07a5f"/><circle cx="220" cy="100" r="45" fill="#3d405b"/></svg>')
    return "data:image/svg+xml," + quote(svg)


def _sample_audio():
    # A quarter second of silence, inline for the same reason.
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(1)
        wav.setframerate(8000)
        wav.writeframes(b"\x80" * 2000)
    return "data:audio/wav;base64," + base64.b64encode(buffer.getvalue()).decode()


TEMPLATES = [
    Template("text_classification", "Text classification", "Natural Language Processing",
             "Read a text and pick one sentiment.",
             """<View>
  <Header value="What is the sentiment of this review?"/>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single-radio" showInline="true" required="true">
    <Choice value="Positive" hotkey="1"/>
    <Choice value="Neutral" hotkey="2"/>
    <Choice value="Negative" hotkey="3"/>
  </Choices>
</View>""",
             {"text": "The room was spotless and the staff could not have been kinder."}),
    Template("named_entity_recognition", "Named entity recognition", "Natural Language Processing",
             "Highlight people, organisations and places in a text.",
             """<View>
  <Labels name="label" toName="text">
    <Label value="PER" background="#e07a5f" hotkey="p"/>
    <Label value="ORG" background="#3d405b" hotkey="o"/>
    <Label value="LOC" background="#81b29a" hotkey="l"/>
  </Labels>
  <Text name="text" value="$text" granularity="word"/>
</View>""",
             {"text": "Ada Lovelace worked with Charles Babbage in London on the Analytical Engine."}),
    Template("image_bounding_boxes", "Object detection with bounding boxes", "Computer Vision",
             "Draw boxes around objects in an image and label them.",
             """<View>
  <Image name="image" value="$image" zoom="true"/>
  <RectangleLabels name="label" toName="image">
    <Label value="Square" background="#e07a5f"/>
    <Label value="Circle" background="#3d405b"/>
  </RectangleLabels>
</View>""",
             {"image": _sample_image()}),
    Template("image_classification", "Image classification", "Computer Vision",
             "Look at an image and tick what it shows.",
             """<View>
  <Image name="image" value="$image"/>
  <Choices name="shapes" toName="image" choice="multiple">
    <Choice value="Square"/>
    <Choice value="Circle"/>
    <Choice value="Triangle"/>
  </Choices>
</View>""",
             {"image": _sample_image()}),
    Template("audio_transcription", "Audio transcription", "Audio/Speech Processing",
             "Listen to a recording and write down what is said.",
             """<View>
  <Audio name="audio" value="$audio"/>
  <Header value="Transcription"/>
  <TextArea name="transcription" toName="audio" rows="4" editable="true" maxSubmissions="1"
            placeholder="Type what you hear" required="true"/>
</View>""",
             {"audio": _sample_audio()}),
    Template("response_rating", "Rate a response", "Generative AI",
             "Rate how helpful an answer is to a question.",
             """<View>
  <Header value="$question"/>
  <Text name="answer" value="$answer"/>
  <Rating name="helpfulness" toName="answer" maxRating="5" icon="star" size="medium" required="true"/>
</View>""",
             {"question": "How do I boil an egg?", "answer": "Simmer it for eight minutes, then cool it in cold water."}),
    Template("taxonomy", "Taxonomy", "Natural Language Processing",
             "Place a text in a hierarchy of categories.",
             """<View>
  <Text name="text" value="$text"/>
  <Taxonomy name="topic" toName="text" leafsOnly="true">
    <Choice value="Science">
      <Choice value="Biology"/>
      <Choice value="Physics"/>
    </Choice>
    <Choice value="Culture">
      <Choice value="Music"/>
      <Choice value="Film"/>
    </Choice>
  </Taxonomy>
</View>""",
             {"text": "The orchestra premiered a symphony written for the solar eclipse."}),
    Template("html_classification", "HTML document classification", "Natural Language Processing",
             "Read a formatted HTML document and classify it.",
             """<View>
  <HyperText name="page" value="$html"/>
  <Choices name="kind" toName="page" choice="single">
    <Choice value="News"/>
    <Choice value="Advertisement"/>
    <Choice value="Other"/>
  </Choices>
</View>""",
             {"html": "<h4>Local news</h4><p>The <b>bridge</b> reopens on <i>Monday</i>.</p>"}),
    Template("structured_form", "Structured data extraction", "Structured Data Parsing",
             "Read an invoice and fill in a form: amount, date and notes.",
             """<View>
  <Text name="invoice" value="$invoice"/>
  <View style="display: flex; gap: 1em">
    <Number name="amount" toName="invoice" min="0" max="1000000" step="0.01" required="true"/>
    <DateTime name="issued" toName="invoice" only="date" min="2000-01-01" max="2100-12-31"/>
  </View>
  <TextArea name="notes" toName="invoice" rows="2" placeholder="Anything unusual?"/>
</View>""",
             {"invoice": "Invoice 2041, issued 3 March 2026: two chairs, 149.90 EUR in total."}),
]

TEMPLATES_BY_KEY = {template.key: template for template in TEMPLATES}
